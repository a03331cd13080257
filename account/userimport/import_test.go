package userimport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/passhash"
	"github.com/accountgate/accountgate/account/userimport"
	"github.com/accountgate/accountgate/store/sqlite"
)

// hashRow is a user of each hash kind whose password is "appwrite": the
// hashes of Appwrite's own end-to-end tests (tests/e2e/Services/Users/
// UsersBase.php in github.com/appwrite/appwrite), plus bcrypt and argon2
// made here.
type hashRow struct {
	kind, password                   string
	salt, separator, signer, version string
	cpu, memory, parallel, length    int
	appwriteKind                     string
	wantPrefix                       string
}

func hashRows(t testing.TB) []hashRow {
	bc, err := bcrypt.GenerateFromPassword([]byte("appwrite"), 4)
	if err != nil {
		t.Fatal(err)
	}
	a2 := core.HashPassword(core.PasswordConfig{Memory: 64, Time: 1, Threads: 1}, "appwrite")
	return []hashRow{
		{kind: "md5", password: "144fa7eaa4904e8ee120651997f70dcc", wantPrefix: "$plain-md5$"},
		{kind: "sha", password: "4243da0a694e8a2f727c8060fe0507c8fa01ca68146c76d2c190805b638c20c6bf6ba04e21f11ae138785d0bff63c416e6f87badbffad37f6dee50094cc38c70",
			version: "sha512", wantPrefix: "$plain-sha512$"},
		{kind: "phpass", password: "$P$Br387rwferoKN7uwHZqNMu98q3U8RO.", wantPrefix: "$P$"},
		{kind: "scrypt", password: "3fdef49701bc4cfaacd551fe017283513284b4731e6945c263246ef948d3cf63b5d269c31fd697246085111a428245e24a4ddc6b64c687bc60a8910dbafc1d5b",
			salt: "appwrite", cpu: 16384, memory: 13, parallel: 2, length: 64, wantPrefix: "$scrypt$ln=14,r=13,p=2$"},
		{kind: "scrypt-modified", appwriteKind: "scryptMod", password: "UlM7JiXRcQhzAGlaonpSqNSLIz475WMddOgLjej5De9vxTy48K6WtqlEzrRFeK4t0COfMhWCb8wuMHgxOFCHFQ==",
			salt: "UxLMreBr6tYyjQ==", separator: "Bw==", signer: "XyEKE9RcTDeLEsL/RjwPDBv/RqDl8fb3gpYEOQaPihbxf1ZAtSOHCjuAAa7Q3oHpCYhXSN9tizHgVOwn6krflQ==",
			wantPrefix: "$firebase-scrypt$ln=14,r=8,p=1,"},
		{kind: "bcrypt", password: string(bc), wantPrefix: "$2a$04$"},
		{kind: "argon2", password: a2, wantPrefix: "$argon2id$"},
	}
}

// badRow is a row that must fail, and the words its report must have.
type badRow struct {
	fields map[string]any
	want   string
}

var badRows = []badRow{
	{map[string]any{"userId": "bad-email", "email": "not-an-email"}, "invalid email"},
	{map[string]any{"userId": "bad-kind", "email": "bad-kind@example.com", "hash": "md4", "password": "144fa7eaa4904e8ee120651997f70dcc"}, `unknown hash "md4"`},
	{map[string]any{"userId": "bad-md5", "email": "bad-md5@example.com", "hash": "md5", "password": "144fa7"}, "not a valid md5 hash"},
	{map[string]any{"userId": "bad-scrypt", "email": "bad-scrypt@example.com", "hash": "scrypt", "password": strings.Repeat("ab", 64),
		"passwordSalt": "s", "passwordCpu": 1 << 20, "passwordMemory": 8, "passwordParallel": 1, "passwordLength": 64}, "beyond the work bounds"},
	{map[string]any{"userId": "taken", "email": "md5@example.com"}, "belongs to another user"},
	{map[string]any{"email": "noid@example.com"}, "userId is required"},
	{map[string]any{"userId": "-bad-id"}, "invalid userId"},
	{map[string]any{"userId": "bad-phone", "phone": "555"}, "invalid phone"},
	{map[string]any{"userId": "bad-label", "labels": []string{"ok", "not ok"}}, "invalid labels"},
}

// csvHeader is every column, in the order rows are written.
var csvHeader = []string{"userId", "email", "phone", "name", "emailVerification", "phoneVerification", "status", "prefs", "labels",
	"createdAt", "hash", "password", "passwordSalt", "passwordSaltSeparator", "passwordSignerKey", "passwordCpu",
	"passwordMemory", "passwordParallel", "passwordLength", "passwordVersion"}

// fields is a good row's columns, by csv/json name.
func (h hashRow) fields() map[string]any {
	m := map[string]any{"userId": h.kind, "email": h.kind + "@example.com", "name": "User " + h.kind,
		"emailVerification": true, "phoneVerification": h.kind == "md5", "status": h.kind != "phpass",
		"prefs": map[string]any{"kind": h.kind}, "createdAt": "2024-05-01T10:00:00.000+00:00",
		"hash": h.kind, "password": h.password, "labels": []string{"imported", h.label()}}
	if h.kind == "md5" {
		m["phone"] = "+15550001001"
	}
	for k, v := range map[string]any{"passwordSalt": h.salt, "passwordSaltSeparator": h.separator,
		"passwordSignerKey": h.signer, "passwordVersion": h.version} {
		if v != "" {
			m[k] = v
		}
	}
	for k, v := range map[string]int{"passwordCpu": h.cpu, "passwordMemory": h.memory, "passwordParallel": h.parallel, "passwordLength": h.length} {
		if v != 0 {
			m[k] = v
		}
	}
	return m
}

// label is a label of the kind's user: letters and digits only.
func (h hashRow) label() string { return strings.ReplaceAll(h.kind, "-", "") }

// appwriteFields is a good row as an Appwrite user model.
func (h hashRow) appwriteFields() map[string]any {
	kind := h.kind
	if h.appwriteKind != "" {
		kind = h.appwriteKind
	}
	m := map[string]any{"$id": h.kind, "$createdAt": "2024-05-01T10:00:00.000+00:00", "$updatedAt": "2024-05-02T10:00:00.000+00:00",
		"name": "User " + h.kind, "password": h.password, "hash": kind,
		"hashOptions": map[string]any{"salt": h.salt, "saltSeparator": h.separator, "signerKey": h.signer,
			"costCpu": h.cpu, "costMemory": h.memory, "costParallel": h.parallel, "length": h.length, "version": h.version},
		"registration": "2024-05-01T10:00:00.000+00:00", "status": h.kind != "phpass", "labels": []string{"imported", h.label()},
		"passwordUpdate": "2024-05-01T10:00:00.000+00:00", "email": h.kind + "@example.com", "phone": "",
		"emailVerification": true, "phoneVerification": h.kind == "md5", "prefs": map[string]any{"kind": h.kind},
		"accessedAt": "", "mfa": false, "targets": []any{}}
	if h.kind == "md5" {
		m["phone"] = "+15550001001"
	}
	return m
}

// appwriteBad is a bad row as an Appwrite user model.
func appwriteBad(b badRow) map[string]any {
	m := map[string]any{}
	for k, v := range b.fields {
		switch k {
		case "userId":
			m["$id"] = v
		case "passwordSalt", "passwordCpu", "passwordMemory", "passwordParallel", "passwordLength":
			opts, _ := m["hashOptions"].(map[string]any)
			if opts == nil {
				opts = map[string]any{}
				m["hashOptions"] = opts
			}
			opts[map[string]string{"passwordSalt": "salt", "passwordCpu": "costCpu", "passwordMemory": "costMemory",
				"passwordParallel": "costParallel", "passwordLength": "length"}[k]] = v
		default:
			m[k] = v
		}
	}
	return m
}

// file writes the good rows then the bad ones in format, and returns it
// with the line of each bad row.
func file(t testing.TB, format string, good []hashRow) ([]byte, []int) {
	var b bytes.Buffer
	var badLines []int
	line := 1
	switch format {
	case "csv":
		b.WriteString(strings.Join(csvHeader, ",") + "\n")
		line++
		write := func(m map[string]any) {
			cells := make([]string, len(csvHeader))
			for i, c := range csvHeader {
				switch v := m[c].(type) {
				case nil:
				case []string:
					cells[i] = strings.Join(v, ";")
				case map[string]any:
					// Prefs over two lines: the line numbers must follow.
					j, _ := json.MarshalIndent(v, "", "")
					cells[i] = `"` + strings.ReplaceAll(string(j), `"`, `""`) + `"`
					line += strings.Count(string(j), "\n")
				default:
					cells[i] = fmt.Sprint(v)
					if strings.ContainsAny(cells[i], `,"`) {
						cells[i] = `"` + strings.ReplaceAll(cells[i], `"`, `""`) + `"`
					}
				}
			}
			b.WriteString(strings.Join(cells, ",") + "\n")
			line++
		}
		for _, h := range good {
			write(h.fields())
		}
		for _, r := range badRows {
			badLines = append(badLines, line)
			write(r.fields)
		}
	case "json":
		// JSON lines.
		for _, h := range good {
			j, _ := json.Marshal(h.fields())
			b.Write(append(j, '\n'))
			line++
		}
		for _, r := range badRows {
			j, _ := json.Marshal(r.fields)
			badLines = append(badLines, line)
			b.Write(append(j, '\n'))
			line++
		}
	case "appwrite":
		// Two Users API pages, a user a line.
		page := func(users []map[string]any) {
			fmt.Fprintf(&b, "{\"total\": %d, \"users\": [\n", len(users))
			line++
			for i, u := range users {
				j, _ := json.Marshal(u)
				b.Write(j)
				if i < len(users)-1 {
					b.WriteByte(',')
				}
				b.WriteByte('\n')
				line++
			}
			b.WriteString("]}\n")
			line++
		}
		var first, second []map[string]any
		for _, h := range good {
			first = append(first, h.appwriteFields())
		}
		page(first)
		line++ // the second page's opening line
		for i, r := range badRows {
			badLines = append(badLines, line+i)
			second = append(second, appwriteBad(r))
		}
		line--
		page(second)
	}
	return b.Bytes(), badLines
}

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "import.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestImportFormats: each format keeps every field and every hash kind,
// reports each bad row at its line with the rest imported, and a second
// run changes nothing and says so.
func TestImportFormats(t *testing.T) {
	t.Parallel()
	rows := hashRows(t)
	for _, format := range []string{"appwrite", "csv", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := openStore(t)
			data, badLines := file(t, format, rows)
			var report bytes.Buffer
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			sum, err := userimport.Import(ctx, s, bytes.NewReader(data), userimport.Options{Format: format, Now: now, Report: &report, BatchSize: 3})
			if err != nil {
				t.Fatal(err)
			}
			if sum != (userimport.Summary{Created: len(rows), Failed: len(badRows)}) {
				t.Fatalf("summary %+v\n%s", sum, report.String())
			}
			reported := strings.Split(strings.TrimSpace(report.String()), "\n")
			if len(reported) != len(badRows) {
				t.Fatalf("report:\n%s", report.String())
			}
			for i, r := range badRows {
				if prefix := fmt.Sprintf("line %d: ", badLines[i]); !strings.HasPrefix(reported[i], prefix) || !strings.Contains(reported[i], r.want) {
					t.Errorf("report line %q, want %q…%q", reported[i], prefix, r.want)
				}
			}
			created := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
			for _, h := range rows {
				u, err := s.UserByID(ctx, h.kind)
				if err != nil {
					t.Fatalf("%s: %v", h.kind, err)
				}
				if u.Email != h.kind+"@example.com" || u.Name != "User "+h.kind || !u.EmailVerification ||
					u.PhoneVerification != (h.kind == "md5") || u.Status != (h.kind != "phpass") ||
					!u.CreatedAt.Equal(created) || !u.Registration.Equal(created) || !u.PasswordUpdate.Equal(created) {
					t.Errorf("%s: fields %+v", h.kind, u)
				}
				if !slices.Equal(u.Labels, []string{"imported", h.label()}) {
					t.Errorf("%s: labels %v", h.kind, u.Labels)
				}
				if string(u.Prefs) != `{"kind":"`+h.kind+`"}` {
					t.Errorf("%s: prefs %s", h.kind, u.Prefs)
				}
				if !strings.HasPrefix(u.PasswordHash, h.wantPrefix) {
					t.Errorf("%s: hash %s, want %s…", h.kind, u.PasswordHash, h.wantPrefix)
				}
				if ok, known := passhash.Verify("appwrite", u.PasswordHash); known && !ok {
					t.Errorf("%s: the stored hash refuses the password", h.kind)
				}
			}
			if u, _ := s.UserByID(ctx, "md5"); u.Phone != "+15550001001" {
				t.Errorf("phone %q", u.Phone)
			}

			report.Reset()
			again, err := userimport.Import(ctx, s, bytes.NewReader(data), userimport.Options{Format: format, Now: now, Report: &report})
			if err != nil {
				t.Fatal(err)
			}
			// The bad row whose email was taken is still refused; its id
			// is not stored.
			if again != (userimport.Summary{Unchanged: len(rows), Failed: len(badRows)}) {
				t.Fatalf("second run %+v\n%s", again, report.String())
			}
			list, err := s.ListUsers(ctx, "", 100)
			if err != nil || len(list) != len(rows) {
				t.Fatalf("%d users after two runs (%v)", len(list), err)
			}
		})
	}
}

// TestImportMalformed: what stops a file is reported at its line, and
// the rows before it are imported.
func TestImportMalformed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name, format, data string
		want               userimport.Summary
		report             string
		fatal              string
	}{
		{"json syntax", "json", "{\"userId\":\"a1\"}\n{\"userId\":\"a2\"}\n{\"userId\": nope}\n{\"userId\":\"a4\"}\n",
			userimport.Summary{Created: 2, Failed: 1}, "line 3: malformed JSON", ""},
		{"json array cut", "json", "[\n{\"userId\":\"b1\"},\n{\"userId\":\"b2\"",
			userimport.Summary{Created: 1, Failed: 1}, "line 3: malformed JSON", ""},
		{"json unknown field", "json", "[{\"userId\":\"c1\",\"emial\":\"x@example.com\"},\n{\"userId\":\"c2\"}]",
			userimport.Summary{Created: 1, Failed: 1}, `line 1: unknown field "emial"`, ""},
		{"json wrong type", "json", "{\"userId\":\"d1\",\"emailVerification\":\"yes\"}\n{\"userId\":\"d2\"}",
			userimport.Summary{Created: 1, Failed: 1}, `line 1: field "emailVerification" has the wrong type`, ""},
		{"json not an object", "json", "[1,{\"userId\":\"e2\"}]",
			userimport.Summary{Created: 1, Failed: 1}, "line 1: not a JSON object but a number", ""},
		{"csv field count", "csv", "userId,email\nf1,f1@example.com\nf2\nf3,f3@example.com,extra\nf4,\n",
			userimport.Summary{Created: 2, Failed: 2}, "line 3: 1 fields, the header has 2\nline 4: 3 fields", ""},
		{"csv bad quote", "csv", "userId,name\ng1,\"Ann\" x\ng2,Bob\n",
			userimport.Summary{Created: 1, Failed: 1}, "line 2: ", ""},
		{"csv bad bool", "csv", "userId,emailVerification\nh1,maybe\nh2,1\n",
			userimport.Summary{Created: 1, Failed: 1}, `line 2: column emailVerification: "maybe" is not true or false`, ""},
		{"csv unknown column", "csv", "userId,emial\n", userimport.Summary{}, "", `line 1: unknown column "emial"`},
		{"csv no id column", "csv", "email\nx@example.com\n", userimport.Summary{}, "", `no "userId" column`},
		{"appwrite page cut", "appwrite", "{\"total\":2,\"users\":[\n{\"$id\":\"i1\"},\n{\"$id\":",
			userimport.Summary{Created: 1, Failed: 1}, "line 3: malformed JSON", ""},
		{"appwrite array", "appwrite", "[{\"$id\":\"j1\",\"prefs\":[]},{\"$id\":\"j2\",\"password\":\"\",\"hash\":\"argon2\"}]",
			userimport.Summary{Created: 2}, "", ""},
		{"unknown format", "xml", "<users/>", userimport.Summary{}, "", `unknown format "xml"`},
		{"empty", "json", "  \n", userimport.Summary{}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var report bytes.Buffer
			sum, err := userimport.Import(ctx, openStore(t), strings.NewReader(tc.data), userimport.Options{Format: tc.format, Report: &report})
			if tc.fatal != "" {
				if err == nil || !strings.Contains(err.Error(), tc.fatal) {
					t.Fatalf("error %v, want %q", err, tc.fatal)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sum != tc.want || !strings.HasPrefix(report.String(), tc.report) {
				t.Fatalf("summary %+v, report:\n%s", sum, report.String())
			}
		})
	}
}

func TestDetectFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, data, want string }{
		{"users.CSV", `{"userId":"x"}`, "csv"},
		{"export.json", `{"total":2,"users":[]}`, "appwrite"},
		{"firebase.json", `{"users": [{"localId":"x","email":"a@example.com"}]}`, "firebase"},
		{"export.json", "[\n {\"$id\":\"u1\",\"email\":\"\"}]", "appwrite"},
		{"users.json", `[{"userId":"u1"}]`, "json"},
		{"users.jsonl", "{\"userId\":\"u1\"}\n{\"userId\":\"u2\"}\n", "json"},
		{"users.txt", "userId,email\n", "csv"},
	} {
		if got := userimport.DetectFormat(tc.name, []byte(tc.data)); got != tc.want {
			t.Errorf("%s %q: %s, want %s", tc.name, tc.data, got, tc.want)
		}
	}
}

// firebaseConfig is the hash configuration of the firebase/scrypt
// README's example (github.com/firebase/scrypt), as the console shows it.
const firebaseConfig = `hash_config {
  algorithm: SCRYPT,
  base64_signer_key: jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==,
  base64_salt_separator: Bw==,
  rounds: 8,
  mem_cost: 14,
}
`

// TestImportFirebase: a Firebase users export with the project's hash
// configuration: the README's user signs in with its password (checked
// here against the stored hash), a disabled user is blocked, a user
// without a password has none, and a bad row is reported by line.
func TestImportFirebase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, err := userimport.ParseFirebaseHashConfig([]byte(firebaseConfig))
	if err != nil || *cfg != (userimport.FirebaseHashConfig{SignerKey: "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
		SaltSeparator: "Bw==", Rounds: 8, MemCost: 14}) {
		t.Fatalf("config %+v %v", cfg, err)
	}
	export := `{"users": [
{"localId":"fbUser1","email":"user1@example.com","emailVerified":true,"passwordHash":"lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==","salt":"42xEC+ixf3L2lw==","displayName":"User One","createdAt":"1486324451000","lastSignedInAt":"1486324451000","providerUserInfo":[]},
{"localId":"fbUser2","phoneNumber":"+15550002002","disabled":true,"createdAt":"1486324452000","providerUserInfo":[{"providerId":"google.com"}]},
{"localId":"fbUser3","email":"user3@example.com","createdAt":"yesterday"}
]}
`
	s := openStore(t)
	var report bytes.Buffer
	sum, err := userimport.Import(ctx, s, strings.NewReader(export), userimport.Options{Format: "firebase", Firebase: cfg, Report: &report})
	if err != nil || sum != (userimport.Summary{Created: 2, Failed: 1}) {
		t.Fatalf("%+v %v\n%s", sum, err, report.String())
	}
	if !strings.HasPrefix(report.String(), `line 4: invalid createdAt "yesterday"`) {
		t.Fatalf("report: %s", report.String())
	}
	u, err := s.UserByID(ctx, "fbUser1")
	if err != nil || u.Email != "user1@example.com" || !u.EmailVerification || u.Name != "User One" || !u.Status ||
		!u.CreatedAt.Equal(time.UnixMilli(1486324451000)) || !strings.HasPrefix(u.PasswordHash, "$firebase-scrypt$ln=14,r=8,p=1,") {
		t.Fatalf("fbUser1: %v %+v", err, u)
	}
	if ok, known := passhash.Verify("user1password", u.PasswordHash); !ok || !known {
		t.Fatal("the imported Firebase hash refuses the password")
	}
	if ok, _ := passhash.Verify("user2password", u.PasswordHash); ok {
		t.Fatal("the imported Firebase hash takes another password")
	}
	u, err = s.UserByID(ctx, "fbUser2")
	if err != nil || u.Status || u.Phone != "+15550002002" || u.PasswordHash != "" {
		t.Fatalf("fbUser2: %v %+v", err, u)
	}

	for _, bad := range []string{"", "hash_config {\n  algorithm: HMAC_SHA256,\n}", "base64_signer_key: abc,\nrounds: x,\nmem_cost: 14,"} {
		if _, err := userimport.ParseFirebaseHashConfig([]byte(bad)); err == nil {
			t.Errorf("config %q accepted", bad)
		}
	}
	if _, err := userimport.Import(ctx, s, strings.NewReader(export), userimport.Options{Format: "firebase"}); err == nil {
		t.Error("the firebase format ran without a hash configuration")
	}
}

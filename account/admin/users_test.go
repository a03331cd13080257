package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/admin"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/sqlite"
)

// fixture is a service on a fresh SQLite store with users made through
// the API.
type fixture struct {
	t   *testing.T
	svc *account.Service
	now time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/admin.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, now: time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)}
	f.svc, err = account.New(context.Background(), core.Config{ProjectID: "test", Store: st,
		PublicURL: "http://localhost", Now: func() time.Time { return f.now },
		Password:   core.PasswordConfig{Memory: 64, Time: 1, Threads: 1},
		RateLimits: core.RateLimitConfig{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// api sends a JSON request to the account API and returns the status and
// the session cookie it set, if any.
func (f *fixture) api(method, path, body, cookie string) (int, string, map[string]any) {
	f.t.Helper()
	req := httptest.NewRequest(method, "http://localhost"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	rec := httptest.NewRecorder()
	f.svc.APIHandler().ServeHTTP(rec, req)
	var m map[string]any
	json.Unmarshal(rec.Body.Bytes(), &m)
	for _, c := range (&http.Response{Header: rec.Header()}).Cookies() {
		if c.Name == "a_session_test" {
			return rec.Code, c.Name + "=" + c.Value, m
		}
	}
	return rec.Code, "", m
}

func (f *fixture) signUp(email, name string) string {
	f.t.Helper()
	code, _, m := f.api("POST", "/v1/account", `{"userId":"unique()","email":"`+email+`","password":"password123","name":"`+name+`"}`, "")
	if code != 201 {
		f.t.Fatalf("sign-up %s: %d %v", email, code, m)
	}
	f.now = f.now.Add(time.Second)
	return m["$id"].(string)
}

func (f *fixture) signIn(email, password string) (int, string) {
	f.t.Helper()
	code, cookie, _ := f.api("POST", "/v1/account/sessions/email", `{"email":"`+email+`","password":"`+password+`"}`, "")
	return code, cookie
}

// run runs an action and returns what it printed.
func (f *fixture) run(action string, args []string, o admin.Options) (string, error) {
	f.t.Helper()
	var out bytes.Buffer
	o.Stdout = &out
	err := admin.Users(context.Background(), f.svc.Users(), action, args, o)
	return out.String(), err
}

func (f *fixture) mustRun(action string, args []string, o admin.Options) string {
	f.t.Helper()
	out, err := f.run(action, args, o)
	if err != nil {
		f.t.Fatalf("%s %v: %v", action, args, err)
	}
	return out
}

func TestList(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.signUp("ann@example.com", "Ann Lee")
	b := f.signUp("bob@example.com", "Bob")
	c := f.signUp("cy@example.com", "Cy")
	if _, err := f.svc.Users().SetUserStatus(context.Background(), b, false); err != nil {
		t.Fatal(err)
	}

	lines := strings.Split(strings.TrimSpace(f.mustRun("list", nil, admin.Options{})), "\n")
	if len(lines) != 4 || strings.Fields(lines[0])[0] != "ID" {
		t.Fatalf("list: %q", lines)
	}
	for i, want := range [][]string{
		{a, "ann@example.com", "Ann", "Lee", "active", "2026-05-06", "07:08:09Z"},
		{b, "bob@example.com", "Bob", "blocked", "2026-05-06", "07:08:10Z"},
		{c, "cy@example.com", "Cy", "active"},
	} {
		if got := strings.Fields(lines[i+1]); len(got) < len(want) || strings.Join(got[:len(want)], " ") != strings.Join(want, " ") {
			t.Errorf("line %d = %q, want it to start with %q", i+1, lines[i+1], want)
		}
	}

	var page struct {
		Users []map[string]any `json:"users"`
	}
	out := f.mustRun("list", nil, admin.Options{JSON: true, After: a, Limit: 1})
	if err := json.Unmarshal([]byte(out), &page); err != nil {
		t.Fatalf("list --json: %v: %s", err, out)
	}
	if len(page.Users) != 1 || page.Users[0]["$id"] != b || page.Users[0]["status"] != false ||
		page.Users[0]["email"] != "bob@example.com" || page.Users[0]["passwordSet"] != true {
		t.Fatalf("list --json --after a --limit 1: %s", out)
	}
	// The hash's kind is shown, never the hash.
	if strings.Contains(out, "$argon2") || page.Users[0]["hash"] != "argon2" {
		t.Fatalf("a password hash is printed, or not its kind: %s", out)
	}
	out = f.mustRun("list", nil, admin.Options{JSON: true, After: c})
	if strings.TrimSpace(out) != `{"users":[]}` {
		t.Fatalf("empty page: %s", out)
	}
	if _, err := f.run("list", nil, admin.Options{After: "nobody"}); err == nil || err.Error() != `unknown user id "nobody"` {
		t.Fatalf("unknown cursor: %v", err)
	}
	// Several pages make one list, cut at the limit.
	for limit, want := range map[int]int{0: 3, 1: 1, 2: 2, 3: 3, 5: 3} {
		out := f.mustRun("list", nil, admin.Options{JSON: true, PageSize: 2, Limit: limit})
		if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.Users) != want {
			t.Errorf("limit %d in pages of 2: %v %s", limit, err, out)
		}
		if want == 3 && (page.Users[0]["$id"] != a || page.Users[2]["$id"] != c) {
			t.Errorf("limit %d in pages of 2: %s", limit, out)
		}
	}
	out = f.mustRun("list", nil, admin.Options{PageSize: 1})
	if n := strings.Count(out, "@example.com"); n != 3 {
		t.Errorf("lines in pages of 1: %d users\n%s", n, out)
	}
	if _, err := f.run("list", []string{"x"}, admin.Options{}); err == nil {
		t.Fatal("list with an argument")
	}
}

func TestShowBlockUnblock(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.signUp("dee@example.com", "Dee")
	if code, _ := f.signIn("dee@example.com", "password123"); code != 201 {
		t.Fatal(code)
	}
	out := f.mustRun("show", []string{id}, admin.Options{})
	for _, want := range []string{"id:", id, "dee@example.com", "status:", "active", "sessions:", "email", "password:"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	var shown struct {
		ID       string           `json:"$id"`
		Sessions []map[string]any `json:"sessions"`
	}
	json.Unmarshal([]byte(f.mustRun("show", []string{id}, admin.Options{JSON: true})), &shown)
	if shown.ID != id || len(shown.Sessions) != 1 || shown.Sessions[0]["provider"] != "email" {
		t.Fatalf("show --json: %+v", shown)
	}

	if out := f.mustRun("block", []string{id}, admin.Options{}); out != "user "+id+" is now blocked\n" {
		t.Fatalf("block: %q", out)
	}
	if code, _ := f.signIn("dee@example.com", "password123"); code != 401 {
		t.Fatalf("a blocked user signed in: %d", code)
	}
	var u map[string]any
	json.Unmarshal([]byte(f.mustRun("unblock", []string{id}, admin.Options{JSON: true})), &u)
	if u["$id"] != id || u["status"] != true {
		t.Fatalf("unblock --json: %v", u)
	}
	if code, _ := f.signIn("dee@example.com", "password123"); code != 201 {
		t.Fatalf("an unblocked user cannot sign in: %d", code)
	}
}

func TestSignOutDeleteSetPassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.signUp("eve@example.com", "Eve")
	_, c1 := f.signIn("eve@example.com", "password123")
	f.signIn("eve@example.com", "password123")

	if out := f.mustRun("sign-out", []string{id}, admin.Options{}); out != "user "+id+" signed out: 2 sessions deleted\n" {
		t.Fatalf("sign-out: %q", out)
	}
	if code, _, _ := f.api("GET", "/v1/account", "", c1); code != 401 {
		t.Fatalf("a signed-out session still works: %d", code)
	}

	out := f.mustRun("set-password", []string{id}, admin.Options{Stdin: strings.NewReader("a new password\r\nignored\n")})
	if out != "user "+id+" has a new password\n" {
		t.Fatalf("set-password: %q", out)
	}
	if code, _ := f.signIn("eve@example.com", "password123"); code != 401 {
		t.Fatalf("the old password still signs in: %d", code)
	}
	if code, _ := f.signIn("eve@example.com", "a new password"); code != 201 {
		t.Fatalf("the new password does not sign in: %d", code)
	}
	for name, in := range map[string]string{"empty": "", "blank line": "\n", "short": "short\n"} {
		if _, err := f.run("set-password", []string{id}, admin.Options{Stdin: strings.NewReader(in)}); err == nil {
			t.Errorf("set-password with %s input: no error", name)
		}
	}

	var del map[string]any
	json.Unmarshal([]byte(f.mustRun("delete", []string{id}, admin.Options{JSON: true})), &del)
	if del["$id"] != id || del["deleted"] != true {
		t.Fatalf("delete --json: %v", del)
	}
	if code, _ := f.signIn("eve@example.com", "a new password"); code != 401 {
		t.Fatalf("a deleted user signs in: %d", code)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, action := range []string{"show", "block", "unblock", "delete", "sign-out", "set-password"} {
		_, err := f.run(action, []string{"nobody"}, admin.Options{Stdin: strings.NewReader("long enough\n")})
		if err == nil || err.Error() != `unknown user id "nobody"` {
			t.Errorf("%s nobody: %v", action, err)
		}
		if _, err := f.run(action, nil, admin.Options{}); err == nil || !strings.Contains(err.Error(), "one user id") {
			t.Errorf("%s without an id: %v", action, err)
		}
		if !admin.Mutates(action) && action != "show" {
			t.Errorf("%s does not mutate", action)
		}
	}
	if _, err := f.run("promote", []string{"x"}, admin.Options{}); err == nil || !strings.Contains(err.Error(), `unknown action "promote"`) {
		t.Errorf("unknown action: %v", err)
	}
	if admin.Mutates("list") || admin.Mutates("show") || admin.Mutates("nope") {
		t.Error("a read-only or unknown action mutates")
	}
}

// TestLabel: label sets, replaces and clears a user's labels through the
// service's rules, and show prints them.
func TestLabel(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.signUp("lab@example.com", "Lab")
	if out := f.mustRun("label", []string{id, "staff, beta,staff"}, admin.Options{}); out != "user "+id+" is labelled staff,beta\n" {
		t.Fatalf("label: %q", out)
	}
	if u, err := f.svc.Users().User(context.Background(), id); err != nil || strings.Join(u.Labels, ",") != "staff,beta" {
		t.Fatalf("stored: %v %v", err, u)
	}
	if out := f.mustRun("show", []string{id}, admin.Options{}); !strings.Contains(out, "staff,beta") {
		t.Fatalf("show: %q", out)
	}
	var u map[string]any
	json.Unmarshal([]byte(f.mustRun("label", []string{id, "admin"}, admin.Options{JSON: true})), &u)
	if labels, _ := u["labels"].([]any); len(labels) != 1 || labels[0] != "admin" {
		t.Fatalf("label --json: %v", u)
	}
	for _, args := range [][]string{{id, ""}, {id}} {
		if out := f.mustRun("label", args, admin.Options{}); out != "user "+id+" has no labels\n" {
			t.Fatalf("clear %q: %q", args, out)
		}
	}
	if _, err := f.run("label", []string{id, "not-alnum"}, admin.Options{}); err == nil || !strings.Contains(err.Error(), "Invalid labels") {
		t.Fatalf("bad label: %v", err)
	}
	if _, err := f.run("label", []string{"nobody", "a"}, admin.Options{}); err == nil || err.Error() != `unknown user id "nobody"` {
		t.Fatalf("unknown user: %v", err)
	}
	if _, err := f.run("label", []string{id, "a", "b"}, admin.Options{}); err == nil {
		t.Fatal("three arguments accepted")
	}
	if !admin.Mutates("label") {
		t.Fatal("label does not mutate")
	}
}

package caddymodule

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportCommand runs the import command against a Caddyfile's
// project: the users land in that project's store and nowhere else, a
// second run changes nothing, and failed rows make the run fail with
// their lines on stderr.
func TestImportCommand(t *testing.T) {
	config := adminCaddyfile(t, freePort(t))
	dir := t.TempDir()
	good := filepath.Join(dir, "users.csv")
	os.WriteFile(good, []byte("userId,email,name,hash,password\n"+
		"imp-md5,imp-md5@example.com,Imported,md5,144fa7eaa4904e8ee120651997f70dcc\n"+
		"imp-phpass,imp-phpass@example.com,Imported,phpass,$P$Br387rwferoKN7uwHZqNMu98q3U8RO.\n"), 0o600)
	run := func(file, format string, jsonOut bool) (string, string, error) {
		var out, errOut bytes.Buffer
		err := runImport(context.Background(), importRun{config: config, adapter: "caddyfile", project: "test",
			file: file, format: format, json: jsonOut, stdout: &out, stderr: &errOut})
		return out.String(), errOut.String(), err
	}
	out, errOut, err := run(good, "", false)
	if err != nil || out != "2 users imported, 0 unchanged (already there), 0 failed\n" || errOut != "" {
		t.Fatalf("first run: %v %q %q", err, out, errOut)
	}
	out, _, err = run(good, "", true)
	if err != nil || out != `{"created":0,"failed":0,"unchanged":2}`+"\n" {
		t.Fatalf("second run: %v %q", err, out)
	}
	// The users are in the project's store, through the service.
	adapted, _ := os.ReadFile(config)
	svc, closeProject, err := openProject(adaptCaddyfile(t, adapted), "test")
	if err != nil {
		t.Fatal(err)
	}
	u, err := svc.Users().User(context.Background(), "imp-phpass")
	closeProject()
	if err != nil || u.Email != "imp-phpass@example.com" || u.PasswordHash != "$P$Br387rwferoKN7uwHZqNMu98q3U8RO." {
		t.Fatalf("imported user: %v %+v", err, u)
	}

	bad := filepath.Join(dir, "users.json")
	os.WriteFile(bad, []byte("{\"userId\":\"imp-ok\",\"email\":\"imp-ok@example.com\"}\n"+
		"{\"userId\":\"imp-bad\",\"email\":\"not-an-email\"}\n"), 0o600)
	out, errOut, err = run(bad, "", false)
	var failed errRowsFailed
	if !errors.As(err, &failed) || failed.n != 1 || out != "1 users imported, 0 unchanged (already there), 1 failed\n" ||
		!strings.HasPrefix(errOut, "line 2: user imp-bad: invalid email") {
		t.Fatalf("bad row: %v %q %q", err, out, errOut)
	}

	// A Firebase export, with the project's hash parameters from a file.
	fbExport := filepath.Join(dir, "firebase.json")
	os.WriteFile(fbExport, []byte(`{"users":[{"localId":"fbUser1","email":"user1@example.com",`+
		`"passwordHash":"lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",`+
		`"salt":"42xEC+ixf3L2lw==","createdAt":"1486324451000"}]}`), 0o600)
	fbConfig := filepath.Join(dir, "hash_config.txt")
	os.WriteFile(fbConfig, []byte("hash_config {\n  algorithm: SCRYPT,\n  base64_signer_key: jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==,\n"+
		"  base64_salt_separator: Bw==,\n  rounds: 8,\n  mem_cost: 14,\n}\n"), 0o600)
	var fbOut bytes.Buffer
	err = runImport(context.Background(), importRun{config: config, adapter: "caddyfile", project: "test",
		file: fbExport, hashConfig: fbConfig, stdout: &fbOut, stderr: &bytes.Buffer{}})
	if err != nil || fbOut.String() != "1 users imported, 0 unchanged (already there), 0 failed\n" {
		t.Fatalf("firebase: %v %q", err, fbOut.String())
	}

	for _, tc := range []struct{ name, file, format, project, want string }{
		{"firebase without its hash config", fbExport, "", "test", "needs the project's password hash parameters"},
		{"missing file", filepath.Join(dir, "none.csv"), "", "test", "no such file"},
		{"unknown format", good, "xml", "test", `unknown format "xml"`},
		{"unknown project", good, "", "nope", `unknown project "nope"`},
		{"no project", good, "", "", "--project is required"},
	} {
		err := runImport(context.Background(), importRun{config: config, adapter: "caddyfile", project: tc.project,
			file: tc.file, format: tc.format, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

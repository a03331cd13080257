package caddymodule

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/accountgate/accountgate/account/admin"
)

// adminCaddyfile writes a Caddyfile with two SQLite projects and a site
// on port, and returns its path.
func adminCaddyfile(t *testing.T, port int) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "Caddyfile.admin")
	cf := `{
	admin off
	accountgate {
		project test {
			store sqlite ` + filepath.Join(dir, "test.db") + `
			public_url http://localhost
			password_cost 64 1 1
		}
		project other {
			store sqlite ` + filepath.Join(dir, "other.db") + `
			public_url http://localhost
		}
	}
}

http://127.0.0.1:` + strconv.Itoa(port) + ` {
	account_api test
	account_gate test
	respond "upstream"
}
`
	if err := os.WriteFile(path, []byte(cf), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// freePort returns a port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// runUsers runs the users command as `caddy accountgate` would and
// returns its output.
func runUsers(t *testing.T, config, stdin string, jsonOut bool, action string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := runAdmin(context.Background(), adminRun{config: config, adapter: "caddyfile", project: "test",
		action: action, args: args, stderr: &errOut,
		opts: admin.Options{JSON: jsonOut, Stdin: strings.NewReader(stdin), Stdout: &out}})
	return out.String(), errOut.String(), err
}

// TestAdminCommand drives the command against a Caddyfile's project: it
// sees and changes the users the API made, starts no server, and names
// what is wrong.
func TestAdminCommand(t *testing.T) {
	port := freePort(t)
	config := adminCaddyfile(t, port)
	cfgJSON, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	adapted := adaptCaddyfile(t, cfgJSON)

	// A user signs up through the project's API, opened as the command does.
	svc, closeProject, err := openProject(adapted, "test")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond); err == nil {
		c.Close()
		t.Fatal("opening the project started the site's server")
	}
	req := httptest.NewRequest("POST", "http://localhost/v1/account",
		strings.NewReader(`{"userId":"ops-user","email":"ops@example.com","password":"password123","name":"Ops"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	svc.APIHandler().ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		t.Fatalf("sign-up: %d %s", rec.Code, rec.Body)
	}
	closeProject()

	out, _, err := runUsers(t, config, "", true, "list")
	var listed struct {
		Users []map[string]any `json:"users"`
	}
	if err != nil || json.Unmarshal([]byte(out), &listed) != nil || len(listed.Users) != 1 ||
		listed.Users[0]["$id"] != "ops-user" || listed.Users[0]["email"] != "ops@example.com" {
		t.Fatalf("list --json: %v %s", err, out)
	}
	if out, _, err = runUsers(t, config, "", false, "block", "ops-user"); err != nil || out != "user ops-user is now blocked\n" {
		t.Fatalf("block: %v %q", err, out)
	}
	if out, _, err = runUsers(t, config, "", false, "show", "ops-user"); err != nil || !strings.Contains(out, "blocked") {
		t.Fatalf("show: %v %q", err, out)
	}
	if _, _, err = runUsers(t, config, "", false, "unblock", "ops-user"); err != nil {
		t.Fatal(err)
	}
	if _, _, err = runUsers(t, config, "another password\n", false, "set-password", "ops-user"); err != nil {
		t.Fatal(err)
	}
	if out, _, err = runUsers(t, config, "", false, "label", "ops-user", "staff,beta"); err != nil || out != "user ops-user is labelled staff,beta\n" {
		t.Fatalf("label: %v %q", err, out)
	}

	// The change is in the store the server uses.
	svc, closeProject, err = openProject(adapted, "test")
	if err != nil {
		t.Fatal(err)
	}
	u, err := svc.Users().User(context.Background(), "ops-user")
	closeProject()
	if err != nil || !u.Status || u.PasswordUpdate.IsZero() || strings.Join(u.Labels, ",") != "staff,beta" {
		t.Fatalf("after the commands: %v %+v", err, u)
	}

	for name, tc := range map[string]struct {
		config, project, action string
		args                    []string
		want                    string
	}{
		"unknown user":    {config, "test", "block", []string{"nobody"}, `unknown user id "nobody"`},
		"unknown project": {config, "nope", "list", nil, `unknown project "nope" (configured: other, test)`},
		"no project":      {config, "", "list", nil, "--project is required"},
		// Checked before the configuration is read.
		"unknown action": {"/nonexistent/Caddyfile", "test", "promote", []string{"x"}, `unknown action "promote"`},
		"missing id":     {"/nonexistent/Caddyfile", "test", "block", nil, "needs exactly one user id"},
		"no config file": {filepath.Join(t.TempDir(), "missing"), "test", "list", nil, "missing"},
	} {
		t.Run(name, func(t *testing.T) {
			err := runAdmin(context.Background(), adminRun{config: tc.config, adapter: "caddyfile", project: tc.project,
				action: tc.action, args: tc.args, stderr: &bytes.Buffer{}, opts: admin.Options{Stdout: &bytes.Buffer{}}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// adaptCaddyfile adapts a Caddyfile to JSON.
func adaptCaddyfile(t *testing.T, body []byte) []byte {
	t.Helper()
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt(body, map[string]any{"filename": "Caddyfile"})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// writeCaddyfile writes a Caddyfile for a command into a temp dir: admin
// off, project "test" on a SQLite store in that dir, projectLines in its
// block. It returns the file's path and its text.
func writeCaddyfile(t *testing.T, projectLines ...string) (path, text string) {
	t.Helper()
	dir := t.TempDir()
	path = filepath.Join(dir, "Caddyfile")
	var extra strings.Builder
	for _, l := range projectLines {
		extra.WriteString("\t\t\t" + l + "\n")
	}
	text = `{
	admin off
	accountgate {
		project test {
			store sqlite ` + filepath.Join(dir, "test.db") + `
` + extra.String() + `			public_url http://localhost
		}
	}
}
`
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, text
}

// TestAdminCommandWithoutRedis: with the shared cache unreachable the
// change is still made, and the operator is warned that it was not
// broadcast.
func TestAdminCommandWithoutRedis(t *testing.T) {
	config, cf := writeCaddyfile(t,
		"cache redis redis://127.0.0.1:"+strconv.Itoa(freePort(t)),
		"secret 0123456789abcdef0123456789abcdef")
	svc, closeProject, err := openProject(adaptCaddyfile(t, []byte(cf)), "test")
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "http://localhost/v1/account",
		strings.NewReader(`{"userId":"lonely","email":"lonely@example.com","password":"password123"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	svc.APIHandler().ServeHTTP(rec, req)
	closeProject()
	if rec.Code != http.StatusCreated {
		t.Fatalf("sign-up: %d %s", rec.Code, rec.Body)
	}

	var out, errOut bytes.Buffer
	err = runAdmin(context.Background(), adminRun{config: config, adapter: "caddyfile", project: "test",
		action: "block", args: []string{"lonely"}, stderr: &errOut, wait: 300 * time.Millisecond,
		opts: admin.Options{Stdout: &out}})
	if err != nil || out.String() != "user lonely is now blocked\n" {
		t.Fatalf("block: %v %q", err, out.String())
	}
	if !strings.Contains(errOut.String(), "warning: the revocation channel is not reachable") {
		t.Fatalf("no warning: %q", errOut.String())
	}
	// A read-only action neither waits nor warns.
	errOut.Reset()
	out.Reset()
	err = runAdmin(context.Background(), adminRun{config: config, adapter: "caddyfile", project: "test",
		action: "show", args: []string{"lonely"}, stderr: &errOut, opts: admin.Options{Stdout: &out}})
	if err != nil || !strings.Contains(out.String(), "blocked") || errOut.Len() != 0 {
		t.Fatalf("show: %v %q %q", err, out.String(), errOut.String())
	}
}

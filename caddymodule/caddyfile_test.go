package caddymodule

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

var update = flag.Bool("update", false, "rewrite the expected output of the adapt tests")

// TestAdapt runs every testdata/adapt/*.caddyfiletest: a Caddyfile, a
// line of dashes, then the expected JSON, or "error: <text>" for a
// Caddyfile that must be refused with that text (file and line included).
func TestAdapt(t *testing.T) {
	files, _ := filepath.Glob("testdata/adapt/*.caddyfiletest")
	if len(files) == 0 {
		t.Fatal("no adapt tests found")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, want, ok := strings.Cut(string(raw), "\n----------\n")
			if !ok {
				t.Fatalf("%s: no ---------- separator", file)
			}
			got := adapt(input)
			if *update {
				os.WriteFile(file, []byte(input+"\n----------\n"+got), 0o644)
				return
			}
			if strings.TrimSpace(got) != strings.TrimSpace(want) {
				t.Errorf("adapted output differs\n--- got\n%s\n--- want\n%s", got, want)
			}
		})
	}
}

func adapt(input string) string {
	adapter := caddyconfig.GetAdapter("caddyfile")
	out, _, err := adapter.Adapt([]byte(input), map[string]any{"filename": "Caddyfile"})
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	var buf bytes.Buffer
	json.Indent(&buf, out, "", "\t")
	return buf.String() + "\n"
}

func TestGateUnmarshalErrors(t *testing.T) {
	tests := []struct{ input, want string }{
		{"account_gate", "wrong argument count"},
		{"account_gate a b", "wrong argument count"},
		{"account_gate a {\n bogus\n}", `unrecognized subdirective "bogus"`},
		{"account_gate a {\n require admin\n}", `unknown requirement "admin"`},
		{"account_gate a {\n on_fail login\n}", "usage: on_fail redirect"},
		{"account_gate a {\n header shoe X-Shoe\n}", `unknown identity header "shoe"`},
		{"account_gate a {\n csrf\n}", "usage: csrf off|on"},
		{"account_gate a {\n csrf maybe\n}", "usage: csrf off|on"},
	}
	for _, tc := range tests {
		g := new(Gate)
		err := g.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.input))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.input, err, tc.want)
		}
	}
}

// TestAppValidateUsesTheDomainChecks: the service's own settings are
// checked by core.Config.Validate at load, with the project named,
// including the ones that once failed only at Start (API keys, the
// project id).
func TestAppValidateUsesTheDomainChecks(t *testing.T) {
	a := &App{Projects: map[string]*Project{"bad id": {
		Store: StoreConfig{Kind: "sqlite", DSN: "a.db"}, PublicURL: "https://app.example.com",
		PasswordHistory: 21, Disable: []string{"carrier-pigeon"}, RateLimits: map[string]int{"nope": 1},
		APIKeys: map[string]*APIKeyConfig{"backend": {Key: "too-short-a-key"}},
	}}}
	err := a.Validate()
	for _, w := range []string{
		`project bad id: project id "bad id"`,
		"password_history must be between 0 and 20",
		`disable: unknown sign-in method "carrier-pigeon"`,
		`rate_limit: unknown limit "nope"`,
		`API key "backend": the key must be at least 32 characters`,
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v, want it to mention %q", err, w)
		}
	}
	if strings.Contains(err.Error(), "too-short-a-key") {
		t.Errorf("error carries the key: %v", err)
	}
}

func TestAppValidate(t *testing.T) {
	ok := func() *Project {
		return &Project{Store: StoreConfig{Kind: "sqlite", DSN: "a.db"}, PublicURL: "https://app.example.com"}
	}
	tests := []struct {
		name  string
		edit  func(a *App)
		wants []string
	}{
		{"valid", func(a *App) {}, nil},
		{"missing store and url", func(a *App) { a.Projects["p"].Store = StoreConfig{}; a.Projects["p"].PublicURL = "" },
			[]string{"no store configured", "public_url is required"}},
		{"bad url", func(a *App) { a.Projects["p"].PublicURL = "app.example.com/x" }, []string{"must be an absolute http(s) URL"}},
		{"short secret", func(a *App) { a.Projects["p"].Secret = "short" }, []string{"at least 32 characters"}},
		{"shared store", func(a *App) { a.Projects["q"] = ok() }, []string{"use the same store"}},
		// A platform written as a URL never matches a request's host: every
		// request would be refused as from an unknown origin.
		{"platform with a scheme", func(a *App) { a.Projects["p"].Platforms = []string{"http://localhost:3000"} },
			[]string{`platform "http://localhost:3000": hosts only, without a scheme (e.g. localhost)`}},
		{"platform with a port", func(a *App) { a.Projects["p"].Platforms = []string{"localhost:3000"} },
			[]string{`platform "localhost:3000": hosts only`}},
		{"platform with a path", func(a *App) { a.Projects["p"].Platforms = []string{"app.example.com/x"} },
			[]string{`platform "app.example.com/x": hosts only`}},
		{"platforms that are hosts", func(a *App) {
			a.Projects["p"].Platforms = []string{"localhost", "*", "*.example.com", "app.example.org"}
		}, nil},
		{"shared cache without a secret", func(a *App) { a.Projects["p"].Cache = &CacheConfig{Kind: "redis", URL: "redis://127.0.0.1:6379/0"} },
			[]string{"secret is required with a shared cache"}},
		{"shared cache with a secret", func(a *App) {
			a.Projects["p"].Cache = &CacheConfig{Kind: "redis", URL: "redis://127.0.0.1:6379/0"}
			a.Projects["p"].Secret = strings.Repeat("s", 32)
		}, nil},
		{"negative limiter cap", func(a *App) { a.Projects["p"].RateLimitKeys = -1 }, []string{"rate_limit_keys must not be negative"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &App{Projects: map[string]*Project{"p": ok()}}
			tc.edit(a)
			err := a.Validate()
			if len(tc.wants) == 0 && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			for _, w := range tc.wants {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestGateValidate(t *testing.T) {
	for _, tc := range []struct {
		g    Gate
		want string
	}{
		{Gate{}, "a project id is required"},
		{Gate{Project: "p", OnFailRedirect: "login"}, "absolute path or an http(s) URL"},
		{Gate{Project: "p", OnFailRedirect: "javascript://x/alert(1)"}, "absolute path or an http(s) URL"},
		{Gate{Project: "p", Require: []string{"root"}}, "unknown requirement"},
	} {
		if err := tc.g.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.g, err, tc.want)
		}
	}
	if err := (&Gate{Project: "p", OnFailRedirect: "/login"}).Validate(); err != nil {
		t.Error(err)
	}
}

// TestProvisionNamesEmptyEnvironmentVariables: an {env.X} that resolves to
// nothing is reported by the variable's name and the option that used it,
// not as a missing value of the option.
func TestProvisionNamesEmptyEnvironmentVariables(t *testing.T) {
	t.Setenv("AG_TEST_SET", "https://app.example.com")
	t.Setenv("AG_TEST_EMPTY", "")
	a := &App{Projects: map[string]*Project{"p": {
		Store:     StoreConfig{Kind: "postgres", DSN: "{env.AG_TEST_UNSET_DSN}"},
		PublicURL: "{env.AG_TEST_SET}",
		Secret:    "{env.AG_TEST_EMPTY}",
	}}}
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	err := a.Provision(ctx)
	if err == nil {
		t.Fatal("provisioned with empty environment variables")
	}
	for _, want := range []string{
		"project p: store postgres: environment variable AG_TEST_UNSET_DSN is empty or not set",
		"project p: secret: environment variable AG_TEST_EMPTY is empty or not set",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "AG_TEST_SET") || strings.Contains(err.Error(), "needs a file path or URL") {
		t.Errorf("error %q blames a variable that is set, or the resolved value", err)
	}
}

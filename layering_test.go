package accountgate

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const modulePath = "github.com/accountgate/accountgate"

// layers: what the packages under each tree may never depend on. The
// domain (account/ and below) knows neither Caddy nor a store backend nor
// a driver; the stores know nothing of the Caddy adapter.
var layers = []struct {
	tree      string
	forbidden []string
}{
	{"./account/...", []string{
		"github.com/caddyserver/",
		modulePath + "/store",
		modulePath + "/caddymodule",
		"github.com/jackc/pgx",
		"github.com/redis/go-redis",
		"modernc.org/sqlite",
		"database/sql",
		"go.uber.org/zap",
		"github.com/prometheus/",
	}},
	{"./store/...", []string{
		modulePath + "/caddymodule",
		"github.com/caddyserver/",
	}},
}

// TestLayering fails when a package imports, directly or through another
// package, something its layer must not know (go list -deps).
func TestLayering(t *testing.T) {
	for _, l := range layers {
		out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, l.tree).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", l.tree, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			fields := strings.Fields(line)
			pkg, deps := fields[0], fields[1:]
			for _, dep := range deps {
				for _, bad := range l.forbidden {
					if matches(dep, bad) {
						t.Errorf("%s depends on %s (forbidden in %s)", pkg, dep, l.tree)
					}
				}
			}
		}
	}
}

// matches reports whether dep is the package bad or below it; a bad that
// ends in "/" names every package under that path.
func matches(dep, bad string) bool {
	if strings.HasSuffix(bad, "/") {
		return strings.HasPrefix(dep, bad)
	}
	return dep == bad || strings.HasPrefix(dep, bad+"/")
}

// leaves are the project packages with no project imports of their own
// (outbox aside, which only sends through mail and sms and seals with
// seal): anything may build on them.
var leaves = []string{"account/outbox", "account/mail", "account/seal", "account/sms", "account/useragent",
	"account/oauth", "account/passhash", "account/ratelimit", "account/geoip"}

// stack lists the domain's layers bottom up: each may depend on the leaves
// and on the layers below it, never on one above or beside it. The core
// (models, errors, store interfaces, tokens, passwords, configuration) is
// the bottom; the verifier sits on it; the HTTP pipeline on both; the
// shared operations on the pipeline; the API packages on the operations,
// each alone; the composition root (account) on everything.
var stack = [][]string{
	{"account/core"},
	{"account/verify"},
	{"account/httpapi"},
	{"account/domain"},
	{"account/accountapi", "account/sessionsapi", "account/passwordless", "account/oauthapi", "account/mfa", "account/usersapi"},
}

// inner: each layer's packages and the project packages they may use.
var inner = func() []struct {
	pkg     string
	allowed []string
} {
	var out []struct {
		pkg     string
		allowed []string
	}
	below := slices.Clone(leaves)
	for _, layer := range stack {
		for _, pkg := range layer {
			out = append(out, struct {
				pkg     string
				allowed []string
			}{pkg, append(slices.Clone(below), pkg)})
		}
		below = append(below, layer...)
	}
	return out
}()

// TestInnerLayers fails when the core or the verifier depends, directly
// or not, on a project package above it (the Service above all).
func TestInnerLayers(t *testing.T) {
	for _, l := range inner {
		out, err := exec.Command("go", "list", "-deps", "./"+l.pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", l.pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			rel, ours := strings.CutPrefix(dep, modulePath+"/")
			if !ours {
				continue
			}
			if !slices.Contains(l.allowed, rel) {
				t.Errorf("%s depends on %s (allowed: %v)", l.pkg, dep, l.allowed)
			}
		}
	}
}

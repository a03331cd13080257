package accountgate

import (
	"os/exec"
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

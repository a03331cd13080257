package accountgate

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

const caddyModulePath = "github.com/caddyserver/caddy/v2"

// TestXcaddyCaddyVersionMatchesGoMod keeps the custom-build manifest and the
// module's own Caddy requirement in step: the binary built by
// scripts/build-caddy must run the Caddy version the code is compiled and
// tested against.
func TestXcaddyCaddyVersionMatchesGoMod(t *testing.T) {
	manifest, err := os.ReadFile("xcaddy.json")
	if err != nil {
		t.Fatal(err)
	}
	xv, err := xcaddyCaddyVersion(manifest)
	if err != nil {
		t.Fatalf("xcaddy.json: %v", err)
	}

	gomod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	mv, err := goModRequireVersion(string(gomod), caddyModulePath)
	if err != nil {
		t.Fatalf("go.mod: %v", err)
	}

	if xv != mv {
		t.Fatalf("xcaddy.json builds Caddy %s but go.mod requires %s %s; make them equal", xv, caddyModulePath, mv)
	}
}

func TestXcaddyManifestDependencies(t *testing.T) {
	manifest, err := os.ReadFile("xcaddy.json")
	if err != nil {
		t.Fatal(err)
	}
	var m xcaddyManifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		t.Fatalf("xcaddy.json: %v", err)
	}
	for _, d := range m.Dependencies {
		if d.Module == "github.com/accountgate/accountgate" {
			if d.Replace != "." {
				t.Errorf("xcaddy.json: %s should be replaced by \".\" (the repository root), got %q", d.Module, d.Replace)
			}
			return
		}
	}
	t.Errorf("xcaddy.json: dependency github.com/accountgate/accountgate is missing")
}

func TestXcaddyGoModRequireParsing(t *testing.T) {
	cases := []struct {
		name, gomod, want string
		wantErr           bool
	}{
		{name: "block", gomod: "module x\n\ngo 1.26.0\n\nrequire (\n\tgithub.com/a/b v1.0.0\n\tgithub.com/caddyserver/caddy/v2 v2.11.9 // indirect\n)\n", want: "v2.11.9"},
		{name: "single line", gomod: "module x\nrequire github.com/caddyserver/caddy/v2 v2.10.0\n", want: "v2.10.0"},
		{name: "several blocks", gomod: "module x\nrequire (\n\tgithub.com/a/b v1.0.0\n)\n\nrequire (\n\tgithub.com/caddyserver/caddy/v2 v2.11.9\n)\n", want: "v2.11.9"},
		{name: "prefix of another path", gomod: "module x\nrequire (\n\tgithub.com/caddyserver/caddy/v2x v9.9.9\n\tgithub.com/caddyserver/caddy/v2 v2.11.9\n)\n", want: "v2.11.9"},
		{name: "replace is not a requirement", gomod: "module x\nreplace github.com/caddyserver/caddy/v2 => ../caddy\n", wantErr: true},
		{name: "commented out", gomod: "module x\nrequire (\n\t// github.com/caddyserver/caddy/v2 v2.1.0\n)\n", wantErr: true},
		{name: "missing", gomod: "module x\nrequire github.com/a/b v1.0.0\n", wantErr: true},
		{name: "twice", gomod: "module x\nrequire github.com/caddyserver/caddy/v2 v2.1.0\nrequire github.com/caddyserver/caddy/v2 v2.2.0\n", wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := goModRequireVersion(c.gomod, caddyModulePath)
			if c.wantErr {
				if err == nil {
					t.Fatalf("want an error, got %q", got)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

type xcaddyManifest struct {
	Caddy        string `json:"caddy"`
	Dependencies []struct {
		Module  string `json:"module"`
		Version string `json:"version"`
		Replace string `json:"replace"`
	} `json:"dependencies"`
}

func xcaddyCaddyVersion(manifest []byte) (string, error) {
	var m xcaddyManifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		return "", err
	}
	if m.Caddy == "" {
		return "", fmt.Errorf(`no "caddy" version`)
	}
	return m.Caddy, nil
}

// goModRequireVersion finds the version of modPath in go.mod's require
// directives, in both the single-line and the block form. It is a small scan
// rather than a full parser because golang.org/x/mod is not a dependency.
func goModRequireVersion(gomod, modPath string) (string, error) {
	lineRE := regexp.MustCompile(`^(\S+)\s+(v\S+)$`)
	var found []string
	inRequire := false
	for _, line := range strings.Split(gomod, "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if inRequire {
			if line == ")" {
				inRequire = false
				continue
			}
		} else {
			rest, ok := strings.CutPrefix(line, "require")
			if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t' && rest[0] != '(') {
				continue
			}
			rest = strings.TrimSpace(rest)
			if rest == "(" {
				inRequire = true
				continue
			}
			line = rest
		}
		if m := lineRE.FindStringSubmatch(line); m != nil && strings.Trim(m[1], `"`) == modPath {
			found = append(found, m[2])
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no require for %s", modPath)
	case 1:
		return found[0], nil
	default:
		return "", fmt.Errorf("%s is required %d times (%s)", modPath, len(found), strings.Join(found, ", "))
	}
}

package account

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"strings"
	"testing"
)

// TestCatalogueComplete reads every ErrorType constant from errors.go and
// checks that each has a status and a message.
func TestCatalogueComplete(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "ErrorType" {
				continue
			}
			lit := vs.Values[0].(*ast.BasicLit)
			typ := ErrorType(strings.Trim(lit.Value, `"`))
			info, ok := catalogue[typ]
			if !ok || info.Status < 400 || info.Message == "" {
				t.Errorf("%s: no status or message in the catalogue", typ)
			}
			n++
		}
	}
	if n != len(catalogue) || n < 10 {
		t.Errorf("found %d constants, catalogue has %d entries", n, len(catalogue))
	}
}

// TestDependencyDirection keeps the domain free of Caddy and of concrete
// stores: caddymodule → store → account, never back.
func TestDependencyDirection(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatal("the go command is needed for this test")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "caddyserver") || strings.Contains(dep, "accountgate/store") ||
			strings.Contains(dep, "go.uber.org/zap") || strings.Contains(dep, "database/sql") {
			t.Errorf("package account depends on %s", dep)
		}
	}
}

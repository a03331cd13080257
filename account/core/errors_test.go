package core

import (
	"go/ast"
	"go/parser"
	"go/token"
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

package account

import (
	"os/exec"
	"strings"
	"testing"
)

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

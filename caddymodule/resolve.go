package caddymodule

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/caddyserver/caddy/v2"
)

// envPlaceholder matches the {env.NAME} placeholders of a config value.
var envPlaceholder = regexp.MustCompile(`\{env\.([^{}]+)\}`)

// resolver replaces the placeholders of config values and remembers the
// environment variables that were empty, so that the error names them
// instead of saying that the resolved value is missing.
type resolver struct {
	repl  *caddy.Replacer
	empty []string
}

func newResolver() *resolver { return &resolver{repl: caddy.NewReplacer()} }

// value resolves s; where (e.g. "store postgres") says which option held it.
func (r *resolver) value(where, s string) string {
	for _, m := range envPlaceholder.FindAllStringSubmatch(s, -1) {
		if os.Getenv(m[1]) == "" {
			r.empty = append(r.empty, fmt.Sprintf("%s: environment variable %s is empty or not set", where, m[1]))
		}
	}
	return r.repl.ReplaceAll(s, "")
}

// err reports the empty variables, nil when there were none.
func (r *resolver) err() error {
	if len(r.empty) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(r.empty, "; "))
}

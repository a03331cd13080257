package caddymodule

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
)

// TestFailedStartKeepsSecretsOutOfLogs loads configurations that fail
// through Caddy, as `caddy run` does, with Caddy's logs in a file: no
// password of a store or cache DSN may show in the error or in the logs,
// also when it came from an {env.*} placeholder.
func TestFailedStartKeepsSecretsOutOfLogs(t *testing.T) {
	const pgPassword, redisPassword = "Pg-Pa55word-Secret", "Redis-Pa55word-Secret"
	const shortKey = "Short-Api-Key-Secret"
	t.Setenv("ACCOUNTGATE_TEST_SECRET_DSN", "postgres://gate:"+pgPassword+"@127.0.0.1:1/gate?connect_timeout=1")
	t.Setenv("ACCOUNTGATE_TEST_API_KEY", shortKey)
	dir := t.TempDir()
	project := func(store map[string]any, extra map[string]any) map[string]any {
		p := map[string]any{"store": store, "public_url": "http://localhost"}
		for k, v := range extra {
			p[k] = v
		}
		return p
	}
	pgEnv := map[string]any{"kind": "postgres", "dsn": "{env.ACCOUNTGATE_TEST_SECRET_DSN}", "connect_timeout": "1s"}
	for _, tc := range []struct {
		name     string
		projects map[string]any
	}{
		{"postgres unreachable", map[string]any{"p": project(pgEnv, nil)}},
		{"postgres key=value unreachable", map[string]any{"p": project(map[string]any{"kind": "postgres",
			"dsn": "host=127.0.0.1 port=1 user=gate password=" + pgPassword + " dbname=gate connect_timeout=1"}, nil)}},
		{"postgres malformed", map[string]any{"p": project(map[string]any{"kind": "postgres",
			"dsn": "postgres://gate:" + pgPassword + "@127.0.0.1:notaport/gate"}, nil)}},
		{"same store twice", map[string]any{"p": project(pgEnv, nil), "q": project(pgEnv, nil)}},
		{"api key too short", map[string]any{"p": project(map[string]any{"kind": "sqlite", "dsn": filepath.Join(dir, "k.db")},
			map[string]any{"api_keys": map[string]any{"backend": map[string]any{"key": "{env.ACCOUNTGATE_TEST_API_KEY}", "scopes": []string{"users.read"}}}})}},
		{"redis bad port", map[string]any{"p": project(map[string]any{"kind": "sqlite", "dsn": filepath.Join(dir, "c.db")},
			map[string]any{"cache": map[string]any{"kind": "redis", "url": "redis://:" + redisPassword + "@127.0.0.1:notaport/0"}})}},
		{"redis malformed", map[string]any{"p": project(map[string]any{"kind": "sqlite", "dsn": filepath.Join(dir, "a.db")},
			map[string]any{"cache": map[string]any{"kind": "redis", "url": "redis://:" + redisPassword + "@127.0.0.1:6379/notadb"}})}},
		{"redis sentinel malformed", map[string]any{"p": project(map[string]any{"kind": "sqlite", "dsn": filepath.Join(dir, "b.db")},
			map[string]any{"cache": map[string]any{"kind": "redis", "url": "redis-sentinel://127.0.0.1:1/x?password=" + redisPassword}})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logFile := filepath.Join(t.TempDir(), "caddy.log")
			cfg, _ := json.Marshal(map[string]any{
				"admin": map[string]any{"disabled": true},
				"logging": map[string]any{"logs": map[string]any{"default": map[string]any{
					"level": "DEBUG", "writer": map[string]any{"output": "file", "filename": logFile}}}},
				"apps": map[string]any{"accountgate": map[string]any{"projects": tc.projects}},
			})
			err := caddy.Load(cfg, true)
			if err == nil {
				caddy.Stop()
				t.Fatal("the configuration loaded")
			}
			logs, _ := os.ReadFile(logFile)
			all := err.Error() + "\n" + string(logs)
			for _, pw := range []string{pgPassword, redisPassword, shortKey} {
				if strings.Contains(all, pw) {
					t.Fatalf("a password reached the error or the logs:\n%s", all)
				}
			}
		})
	}
}

// TestRedactMasksAPIKeys: an API key is one of the secrets masked in
// every error of Provision.
func TestRedactMasksAPIKeys(t *testing.T) {
	const k = "an-api-key-that-is-long-enough-0123456789"
	a := &App{Projects: map[string]*Project{"p": {APIKeys: map[string]*APIKeyConfig{"backend": {Key: k}}}}}
	err := a.redact(errors.New("something with " + k + " in it"))
	if strings.Contains(err.Error(), k) || !strings.Contains(err.Error(), "something with") {
		t.Fatalf("not masked: %v", err)
	}
}

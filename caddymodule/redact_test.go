package caddymodule

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
)

func TestRedactDSN(t *testing.T) {
	for _, tc := range []struct{ dsn, secret string }{
		{"postgres://user:s3cr3t-pw@db.example.com:5432/app?sslmode=disable", "s3cr3t-pw"},
		{"postgresql://user:p%40ss%3Aword@db/app", "p@ss:word"},
		{"postgres://user:s3cr3t-pw@db/app?sslpassword=k3y-pass", "k3y-pass"},
		{"host=db user=u password=s3cr3t-pw dbname=app", "s3cr3t-pw"},
		{`host=db password='it\'s s3cr3t' dbname=app`, "s3cr3t"},
		{"redis://:r3dis-pw@cache:6379/0", "r3dis-pw"},
		{"rediss://user:r3dis-pw@cache:6379/notanumber", "r3dis-pw"},
		{"redis-sentinel://:sent-pw@s1:26379/0?master_name=m&password=mast3r-pw", "mast3r-pw"},
		{"postgres://user:broken:pw@@db/app", "broken:pw@"},
	} {
		if got := redactDSN(tc.dsn); strings.Contains(got, tc.secret) || !strings.Contains(got, mask) {
			t.Errorf("redactDSN(%q) = %q", tc.dsn, got)
		}
	}
	if got := redactDSN("./data/app.db"); got != "./data/app.db" {
		t.Errorf("a path without secrets changed: %q", got)
	}
}

// TestFailedStartKeepsSecretsOutOfLogs loads configurations that fail
// through Caddy, as `caddy run` does, with Caddy's logs in a file: no
// password of a store or cache DSN may show in the error or in the logs,
// also when it came from an {env.*} placeholder.
func TestFailedStartKeepsSecretsOutOfLogs(t *testing.T) {
	const pgPassword, redisPassword = "Pg-Pa55word-Secret", "Redis-Pa55word-Secret"
	t.Setenv("ACCOUNTGATE_TEST_SECRET_DSN", "postgres://gate:"+pgPassword+"@127.0.0.1:1/gate?connect_timeout=1")
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
			for _, pw := range []string{pgPassword, redisPassword} {
				if strings.Contains(all, pw) {
					t.Fatalf("a password reached the error or the logs:\n%s", all)
				}
			}
		})
	}
}

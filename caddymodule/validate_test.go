package caddymodule

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/jackc/pgx/v5"

	"github.com/accountgate/accountgate/account"
)

// validateConfig runs caddy.Validate (what `caddy validate` does) on a
// config with one project on store and the API and gate handlers.
func validateConfig(t *testing.T, store string) {
	t.Helper()
	raw := fmt.Sprintf(`{
		"admin": {"disabled": true},
		"apps": {
			"accountgate": {"projects": {"demo": {"store": %s, "public_url": "http://localhost:8080", "platforms": ["localhost"]}}},
			"http": {"servers": {"s": {"listen": ["127.0.0.1:0"], "routes": [{"handle": [
				{"handler": "account_api", "project": "demo"},
				{"handler": "account_gate", "project": "demo"}
			]}]}}}
		}
	}`, store)
	var cfg caddy.Config
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	if err := caddy.Validate(&cfg); err != nil {
		t.Fatalf("validate: %v", err)
	}
}

// TestValidateWritesNothingSQLite: validating opens no database, so neither
// the database file nor its folder appears.
func TestValidateWritesNothingSQLite(t *testing.T) {
	dir := t.TempDir()
	dsn, _ := json.Marshal(filepath.Join(dir, "data", "demo.db"))
	validateConfig(t, `{"kind": "sqlite", "dsn": `+string(dsn)+`}`)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("validate wrote %s", e.Name())
	}
}

// TestValidateWritesNothingPostgres: validating creates no schema (so no
// migration ran and no secret was stored).
func TestValidateWritesNothingPostgres(t *testing.T) {
	dsn := os.Getenv("ACCOUNTGATE_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("ACCOUNTGATE_TEST_POSTGRES is not set (scripts/test sets it)")
	}
	schema := fmt.Sprintf("ag_validate_%d", time.Now().UnixNano())
	store, _ := json.Marshal(map[string]string{"kind": "postgres", "dsn": dsn, "schema": schema})
	validateConfig(t, string(store))

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1", schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		_, _ = conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
		t.Fatalf("validate created the schema %s", schema)
	}
}

// TestSlotWaitsForStart: a request that arrives before the app started
// waits for the service; one whose client gives up first gets 503.
func TestSlotWaitsForStart(t *testing.T) {
	slot := newProjectSlot("p")
	svc := &account.Service{}
	got := make(chan *account.Service)
	go func() {
		s, e := slot.service(httptest.NewRequest(http.MethodGet, "/", nil))
		if e != nil {
			t.Errorf("waiting request: %v", e)
		}
		got <- s
	}()
	time.Sleep(20 * time.Millisecond)
	slot.set(svc)
	if s := <-got; s != svc {
		t.Fatalf("waiting request got %p, want the started service %p", s, svc)
	}

	early := newProjectSlot("q")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, e := early.service(httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx))
	if e == nil || e.Status() != http.StatusServiceUnavailable {
		t.Fatalf("gave-up request: %v, want 503", e)
	}
}

// TestAuthProviderInCaddyConfig: Caddy's authentication handler loads the
// accountgate provider by its module name and provisions it on a project.
func TestAuthProviderInCaddyConfig(t *testing.T) {
	dsn, _ := json.Marshal(filepath.Join(t.TempDir(), "demo.db"))
	raw := `{
		"admin": {"disabled": true},
		"apps": {
			"accountgate": {"projects": {"demo": {"store": {"kind": "sqlite", "dsn": ` + string(dsn) + `}, "public_url": "http://localhost:8080"}}},
			"http": {"servers": {"s": {"listen": ["127.0.0.1:0"], "routes": [{"handle": [
				{"handler": "authentication", "providers": {"accountgate": {"project": "demo"}}}
			]}]}}}
		}
	}`
	var cfg caddy.Config
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	if err := caddy.Validate(&cfg); err != nil {
		t.Fatalf("validate: %v", err)
	}
	bad := strings.Replace(raw, `{"project": "demo"}`, `{"project": "nosuch"}`, 1)
	var badCfg caddy.Config
	if err := json.Unmarshal([]byte(bad), &badCfg); err != nil {
		t.Fatal(err)
	}
	if err := caddy.Validate(&badCfg); err == nil || !strings.Contains(err.Error(), `unknown accountgate project "nosuch"`) {
		t.Fatalf("unknown project: %v", err)
	}
}

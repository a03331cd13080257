package caddymodule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/redis"
)

// reloadConfig is one project's JSON config: a SQLite store in dir,
// the Redis at redisURL under prefix if given, and limits.
func reloadConfig(dir, redisURL, prefix string, limits map[string]int) []byte {
	p := map[string]any{
		"store":       map[string]any{"kind": "sqlite", "dsn": dir + "/reload.db"},
		"public_url":  "http://localhost",
		"platforms":   []string{"localhost"},
		"password":    map[string]any{"memory_kib": 64, "iterations": 1, "parallelism": 1},
		"rate_limits": limits,
	}
	if redisURL != "" {
		p["cache"] = map[string]any{"kind": "redis", "url": redisURL, "key_prefix": prefix}
		p["secret"] = "reload-test-secret-of-at-least-32-characters"
	}
	b, _ := json.Marshal(map[string]any{"projects": map[string]any{"p": p}})
	return b
}

// startApp provisions and starts an App from raw, as a config load does.
func startApp(t *testing.T, raw []byte) *App {
	t.Helper()
	a := new(App)
	if err := json.Unmarshal(raw, a); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	t.Cleanup(func() { stopApp(t, a) }) // a second stop does nothing
	if err := a.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	return a
}

// stopApp is the old configuration's end in a reload.
func stopApp(t *testing.T, a *App) {
	t.Helper()
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := a.Cleanup(); err != nil {
		t.Fatal(err)
	}
}

// call sends a JSON request to the project's API.
func call(svc *account.Service, method, path, body, cookie string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://localhost"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	rec := httptest.NewRecorder()
	svc.APIHandler().ServeHTTP(rec, req)
	return rec
}

// createAccounts posts n sign-ups and returns their statuses.
func createAccounts(svc *account.Service, n int) []int {
	var codes []int
	for range n {
		codes = append(codes, call(svc, "POST", "/v1/account", `{"userId":"unique()","email":"`+newTestPrefix()+`@example.com","password":"password123"}`, "").Code)
	}
	return codes
}

func newTestPrefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TestReloadKeepsRevocationsAndLimits provisions config 1, provisions
// config 2 (a reload), then cleans up config 1. Config 2 must still trust
// its cache (the revocation channel is healthy), honour a sign-out from
// another instance within a second, and keep counting the limits where
// config 1 left them. The old configuration's shutdown used to mark the
// shared Redis client unhealthy for good.
func TestReloadKeepsRevocationsAndLimits(t *testing.T) {
	redisURL := os.Getenv("ACCOUNTGATE_TEST_REDIS")
	if redisURL == "" {
		t.Skip("set ACCOUNTGATE_TEST_REDIS to a Redis URL to run this test")
	}
	prefix := "accountgate-test:" + newTestPrefix() + ":"
	raw := reloadConfig(t.TempDir(), redisURL, prefix, map[string]int{"account.create": 3})
	a1 := startApp(t, raw)
	svc1 := a1.slots["p"].svc.Load()
	waitRedisHealthy(t, a1)
	if got := createAccounts(svc1, 2); got[0] != 201 || got[1] != 201 {
		t.Fatalf("sign-ups before the reload: %v", got)
	}
	if rec := call(svc1, "POST", "/v1/account", `{"userId":"victim","email":"victim@example.com","password":"password123"}`, ""); rec.Code != 201 {
		t.Fatalf("sign-up: %d %s", rec.Code, rec.Body)
	}
	rec := call(svc1, "POST", "/v1/account/sessions/email", `{"email":"victim@example.com","password":"password123"}`, "")
	var sess struct {
		ID string `json:"$id"`
	}
	if rec.Code != 201 || json.Unmarshal(rec.Body.Bytes(), &sess) != nil {
		t.Fatalf("sign-in: %d %s", rec.Code, rec.Body)
	}
	cookie := strings.SplitN(rec.Header().Get("Set-Cookie"), ";", 2)[0]

	a2 := startApp(t, raw)
	stopApp(t, a1)
	svc2 := a2.slots["p"].svc.Load()

	// The limit counted before the reload still holds: 3 per hour, 3 used.
	if got := createAccounts(svc2, 1); got[0] != 429 {
		t.Fatalf("sign-up after the reload: %d, want 429 (the counter was reset)", got[0])
	}

	authed := func() bool {
		req := httptest.NewRequest("GET", "http://localhost/", nil)
		req.Header.Set("Cookie", cookie)
		p, err := svc2.Authenticate(req)
		return err == nil && p != nil
	}
	// Wait for config 2's subscription (its Run starts it), then put the
	// session in its cache.
	for deadline := time.Now().Add(3 * time.Second); !a2.subs["p"].Healthy(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("config 2's revocation subscription is not healthy 3 s after the reload")
		}
	}
	if !authed() {
		t.Fatal("the session does not verify after the reload")
	}
	// Another instance signs the session out: the store row goes, the
	// shared cache entry goes, and a revocation is published.
	st, err := acquireStore(context.Background(), a2.Projects["p"].Store)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseStore(a2.Projects["p"].Store)
	if err := st.DeleteSession(context.Background(), sess.ID); err != nil {
		t.Fatal(err)
	}
	other, err := redis.Open(context.Background(), redisURL, redis.Options{KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.DropSession(context.Background(), sess.ID); err != nil {
		t.Fatal(err)
	}
	// Until the revocation arrives, the cache is trusted: it is only
	// while the channel is healthy, and it was not after the old bug.
	if !authed() {
		t.Fatal("the local cache is bypassed after the reload: the revocation channel is marked unhealthy")
	}
	if err := other.PublishRevocation(context.Background(), core.Revocation{SessionID: sess.ID, UserID: "victim"}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Second); authed(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a sign-out on another instance is not honoured within a second after the reload")
		}
	}
}

// waitRedisHealthy waits until the project's Redis subscription is up:
// before, limits are counted in memory, as during an outage.
func waitRedisHealthy(t *testing.T, a *App) {
	t.Helper()
	c := *a.Projects["p"].Cache
	rc, err := acquireCache(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer caches.Delete(cacheKey(c))
	for deadline := time.Now().Add(3 * time.Second); !rc.Healthy(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the Redis subscription is not up after 3 s")
		}
	}
}

// TestReloadKeepsMemoryLimits: without Redis the in-process limiter
// belongs to the project, not to one configuration, so a reload resets
// no counter.
func TestReloadKeepsMemoryLimits(t *testing.T) {
	raw := reloadConfig(t.TempDir(), "", "", map[string]int{"account.create": 3})
	a1 := startApp(t, raw)
	if got := createAccounts(a1.slots["p"].svc.Load(), 3); got[2] != 201 {
		t.Fatalf("sign-ups before the reload: %v", got)
	}
	a2 := startApp(t, raw)
	stopApp(t, a1)
	if got := createAccounts(a2.slots["p"].svc.Load(), 1); got[0] != 429 {
		t.Fatalf("sign-up after the reload: %d, want 429 (the counter was reset)", got[0])
	}
	// A project gone from the configuration lets its limiter go.
	stopApp(t, a2)
	a3 := startApp(t, raw)
	if got := createAccounts(a3.slots["p"].svc.Load(), 1); got[0] != 201 {
		t.Fatalf("a fresh start: %d, want 201", got[0])
	}
}

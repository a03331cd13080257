package account_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/core"
)

// bus is an in-process revocation channel shared by several services,
// standing in for Redis pub/sub.
type bus struct {
	mu      sync.Mutex
	subs    []func(core.Revocation)
	healthy atomic.Bool
	// ready counts subscribers past their resync: tests wait for it, as
	// a subscriber resyncs after it is added to subs.
	ready atomic.Int32
}

func (b *bus) PublishRevocation(_ context.Context, r core.Revocation) error {
	b.mu.Lock()
	subs := append([]func(core.Revocation){}, b.subs...)
	b.mu.Unlock()
	for _, deliver := range subs {
		deliver(r)
	}
	return nil
}

func (b *bus) SubscribeRevocations(ctx context.Context, deliver func(core.Revocation), resync func()) {
	b.mu.Lock()
	b.subs = append(b.subs, deliver)
	b.mu.Unlock()
	resync()
	b.ready.Add(1)
	<-ctx.Done()
}

func (b *bus) Healthy() bool { return b.healthy.Load() }

// twoInstances returns two running services on one store and one bus,
// both subscribed: a is a newEnv, b2 another one on its store and clock.
func twoInstances(t *testing.T) (a, b2 *env) {
	t.Helper()
	b := &bus{}
	b.healthy.Store(true)
	a = newEnv(t, func(c *core.Config) { c.Revocations = b })
	b2 = another(t, a, func(c *core.Config) { c.Revocations = b })
	runSubscribed(t, b, a, b2)
	return a, b2
}

// another is a second service on a's store and clock (a second instance
// of the same project), its config changed by opt.
func another(t *testing.T, a *env, opt func(*core.Config)) *env {
	t.Helper()
	cfg := core.Config{ProjectID: "test", Store: a.store, PublicURL: "http://localhost:8080",
		Now: a.clock.Now, RateLimits: core.RateLimitConfig{Off: true},
		Password: core.PasswordConfig{Memory: 64, Time: 1, Threads: 1}}
	opt(&cfg)
	svc, err := account.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, svc: svc, store: a.store, clock: a.clock}
}

// runSubscribed runs the services until the test ends and waits until each
// has subscribed to b and resynced.
func runSubscribed(t *testing.T, b *bus, envs ...*env) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for _, e := range envs {
		go e.svc.Run(ctx)
	}
	for deadline := time.Now().Add(5 * time.Second); b.ready.Load() != int32(len(envs)); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("services did not subscribe")
		}
	}
}

// TestRevocationAcrossInstances: two services on one store; a sign-out on
// one is refused on the other at once, though it had the session cached.
func TestRevocationAcrossInstances(t *testing.T) {
	t.Parallel()
	a, b2 := twoInstances(t)

	a.signUp("x@example.com", "password123")
	c, _ := a.signIn("x@example.com", "password123")
	if r := b2.do("GET", "/v1/account", "", cookieHeader(c)); r.status != 200 { // cached on B
		t.Fatal(r.body)
	}
	a.do("DELETE", "/v1/account/sessions/current", "", cookieHeader(c))
	checkError(t, b2.do("GET", "/v1/account", "", cookieHeader(c)), 401, "general_unauthorized_scope", "")

	// A block on B holds on A at once.
	c2, _ := a.signIn("x@example.com", "password123")
	a.do("GET", "/v1/account", "", cookieHeader(c2)) // cached on A
	b2.do("PATCH", "/v1/account/status", "", cookieHeader(c2))
	checkError(t, a.do("GET", "/v1/account", "", cookieHeader(c2)), 401, "user_blocked", "")
}

// TestUnhealthyRevocationsBypassCache: while revocations may be missed,
// nothing cached is trusted, so a session deleted elsewhere is refused.
func TestUnhealthyRevocationsBypassCache(t *testing.T) {
	t.Parallel()
	b := &bus{}
	b.healthy.Store(true)
	e := newEnv(t, func(c *core.Config) { c.Revocations = b })
	e.signUp("h@example.com", "password123")
	c, s := e.signIn("h@example.com", "password123")
	e.do("GET", "/v1/account", "", cookieHeader(c)) // cached
	// Another instance deletes the session, and its message is lost.
	if err := e.store.DeleteSession(context.Background(), s["$id"].(string)); err != nil {
		t.Fatal(err)
	}
	if r := e.do("GET", "/v1/account", "", cookieHeader(c)); r.status != 200 {
		t.Fatalf("healthy channel: the cache is trusted for its TTL, got %d", r.status)
	}
	b.healthy.Store(false)
	checkError(t, e.do("GET", "/v1/account", "", cookieHeader(c)), 401, "general_unauthorized_scope", "")
}

// memShared is an in-process SharedCache.
type memShared struct {
	mu sync.Mutex
	m  map[[32]byte][2]any
}

func (c *memShared) GetVerified(_ context.Context, key [32]byte) (*core.Session, *core.User, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	if !ok {
		return nil, nil, core.ErrNotFound
	}
	return v[0].(*core.Session), v[1].(*core.User), nil
}

func (c *memShared) PutVerified(_ context.Context, key [32]byte, s *core.Session, u *core.User, _ time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = [2]any{s, u}
	return nil
}

func (c *memShared) DropSession(context.Context, string) error { return nil }
func (c *memShared) DropUser(context.Context, string) error    { return nil }

// TestSharedCacheDistrustedAfterResync: an entry left in the shared cache
// by a revocation that happened while the channel was down is not
// trusted by an instance that has just (re)subscribed.
func TestSharedCacheDistrustedAfterResync(t *testing.T) {
	t.Parallel()
	b := &bus{}
	b.healthy.Store(true)
	shared := &memShared{m: map[[32]byte][2]any{}}
	a := newEnv(t, func(c *core.Config) { c.Revocations, c.SharedCache = b, shared })
	a.signUp("sc@example.com", "password123")
	c, s := a.signIn("sc@example.com", "password123")
	a.do("GET", "/v1/account", "", cookieHeader(c)) // now in the shared cache
	if len(shared.m) != 1 {
		t.Fatalf("shared cache has %d entries", len(shared.m))
	}
	// Revoked while the channel was down: the shared entry stayed.
	a.store.DeleteSession(context.Background(), s["$id"].(string))

	other := another(t, a, func(c *core.Config) { c.Revocations, c.SharedCache = b, shared })
	runSubscribed(t, b, other)
	checkError(t, other.do("GET", "/v1/account", "", cookieHeader(c)), 401, "general_unauthorized_scope", "")
}

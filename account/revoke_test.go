package account_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account"
)

// bus is an in-process revocation channel shared by several services,
// standing in for Redis pub/sub.
type bus struct {
	mu      sync.Mutex
	subs    []func(account.Revocation)
	healthy atomic.Bool
	// ready counts subscribers past their resync: tests wait for it, as
	// a subscriber resyncs after it is added to subs.
	ready atomic.Int32
}

func (b *bus) PublishRevocation(_ context.Context, r account.Revocation) error {
	b.mu.Lock()
	subs := append([]func(account.Revocation){}, b.subs...)
	b.mu.Unlock()
	for _, deliver := range subs {
		deliver(r)
	}
	return nil
}

func (b *bus) SubscribeRevocations(ctx context.Context, deliver func(account.Revocation), resync func()) {
	b.mu.Lock()
	b.subs = append(b.subs, deliver)
	b.mu.Unlock()
	resync()
	b.ready.Add(1)
	<-ctx.Done()
}

func (b *bus) Healthy() bool { return b.healthy.Load() }

// TestRevocationAcrossInstances: two services on one store; a sign-out on
// one is refused on the other at once, though it had the session cached.
func TestRevocationAcrossInstances(t *testing.T) {
	t.Parallel()
	b := &bus{}
	b.healthy.Store(true)
	a := newEnv(t, func(c *account.Config) { c.Revocations = b })
	other, err := account.New(context.Background(), account.Config{ProjectID: "test", Store: a.store, PublicURL: "http://localhost:8080",
		Revocations: b, Now: a.clock.Now, RateLimits: account.RateLimitConfig{Off: true},
		Password: account.PasswordConfig{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.svc.Run(ctx)
	go other.Run(ctx)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if b.ready.Load() == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("services did not subscribe")
		}
	}
	b2 := &env{t: t, svc: other, store: a.store, clock: a.clock}

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
	e := newEnv(t, func(c *account.Config) { c.Revocations = b })
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

func (c *memShared) GetVerified(_ context.Context, key [32]byte) (*account.Session, *account.User, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	if !ok {
		return nil, nil, account.ErrNotFound
	}
	return v[0].(*account.Session), v[1].(*account.User), nil
}

func (c *memShared) PutVerified(_ context.Context, key [32]byte, s *account.Session, u *account.User, _ time.Duration) error {
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
	a := newEnv(t, func(c *account.Config) { c.Revocations, c.SharedCache = b, shared })
	a.signUp("sc@example.com", "password123")
	c, s := a.signIn("sc@example.com", "password123")
	a.do("GET", "/v1/account", "", cookieHeader(c)) // now in the shared cache
	if len(shared.m) != 1 {
		t.Fatalf("shared cache has %d entries", len(shared.m))
	}
	// Revoked while the channel was down: the shared entry stayed.
	a.store.DeleteSession(context.Background(), s["$id"].(string))

	fresh, err := account.New(context.Background(), account.Config{ProjectID: "test", Store: a.store, PublicURL: "http://localhost:8080",
		Revocations: b, SharedCache: shared, Now: a.clock.Now, RateLimits: account.RateLimitConfig{Off: true},
		Password: account.PasswordConfig{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go fresh.Run(ctx)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if b.ready.Load() == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no subscription")
		}
	}
	other := &env{t: t, svc: fresh, store: a.store, clock: a.clock}
	checkError(t, other.do("GET", "/v1/account", "", cookieHeader(c)), 401, "general_unauthorized_scope", "")
}

package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/ratelimit"
)

// testURL is the Redis of the tests, or skips the test.
func testURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("ACCOUNTGATE_TEST_REDIS")
	if u == "" {
		t.Skip("set ACCOUNTGATE_TEST_REDIS to a Redis URL to run these tests")
	}
	return u
}

// newPrefix is a fresh key prefix, so that tests run in parallel.
func newPrefix(t *testing.T) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "accountgate-test:" + hex.EncodeToString(b) + ":"
}

// openTest opens a Client on rawURL with prefix and deletes the prefix's
// keys when the test ends.
func openTest(t *testing.T, rawURL, prefix string, opts Options) *Client {
	t.Helper()
	opts.KeyPrefix = prefix
	c, err := Open(t.Context(), rawURL, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		var keys []string
		iter := c.rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			c.rdb.Del(ctx, keys...)
		}
		_ = c.Close()
	})
	return c
}

func TestRateLimiterMatchesMemory(t *testing.T) {
	url := testURL(t)
	t.Parallel()
	ctx := t.Context()
	r := openTest(t, url, newPrefix(t), Options{})
	m := ratelimit.NewMemory(0)
	t0 := time.Unix(1_700_000_000, 0) // 800 s into an hour
	hourEnd := t0.Truncate(time.Hour).Add(time.Hour)
	type step struct {
		count  bool // Count instead of Take
		key    string
		limit  int
		window time.Duration
		now    time.Time
	}
	steps := []step{
		{key: "a", limit: 3, window: time.Hour, now: t0},
		{key: "a", limit: 3, window: time.Hour, now: t0.Add(time.Second)},
		{key: "a", limit: 3, window: time.Hour, now: t0.Add(time.Minute)},
		{key: "a", limit: 3, window: time.Hour, now: t0.Add(time.Minute)}, // limit reached
		{count: true, key: "a", window: time.Hour, now: t0},
		{key: "b", limit: 3, window: time.Hour, now: t0}, // independent key
		{count: true, key: "b", window: time.Hour, now: t0},
		{count: true, key: "c", window: time.Hour, now: t0}, // unknown key
		{key: "a", limit: 3, window: time.Hour, now: hourEnd.Add(-time.Millisecond)},
		{key: "a", limit: 5, window: time.Hour, now: hourEnd.Add(-time.Millisecond)}, // higher limit
		{key: "a", limit: 3, window: time.Hour, now: hourEnd},                        // rollover
		{count: true, key: "a", window: time.Hour, now: hourEnd.Add(time.Minute)},
		{count: true, key: "a", window: time.Hour, now: t0}, // old window kept
		{key: "a", limit: 0, window: time.Hour, now: t0.Add(2 * time.Hour)},
		{key: "m", limit: 2, window: time.Minute, now: t0},
		{key: "m", limit: 2, window: time.Minute, now: t0.Add(59 * time.Second)},
		{key: "m", limit: 2, window: time.Minute, now: t0.Add(59 * time.Second)},
		{key: "m", limit: 2, window: time.Minute, now: t0.Add(60 * time.Second)},
		{count: true, key: "m", window: time.Minute, now: t0.Add(61 * time.Second)},
	}
	for i, s := range steps {
		if s.count {
			want, _ := m.Count(ctx, s.key, s.window, s.now)
			got, err := r.Count(ctx, s.key, s.window, s.now)
			if err != nil || got != want {
				t.Fatalf("step %d: Count = %d, %v; memory says %d", i, got, err, want)
			}
			continue
		}
		wantN, wantOK, _ := m.Take(ctx, s.key, s.limit, s.window, s.now)
		gotN, gotOK, err := r.Take(ctx, s.key, s.limit, s.window, s.now)
		if err != nil || gotN != wantN || gotOK != wantOK {
			t.Fatalf("step %d: Take = %d, %v, %v; memory says %d, %v", i, gotN, gotOK, err, wantN, wantOK)
		}
	}
}

func TestRateLimiterTTL(t *testing.T) {
	url := testURL(t)
	t.Parallel()
	ctx := t.Context()
	r := openTest(t, url, newPrefix(t), Options{})
	now := time.Now()
	if _, _, err := r.Take(ctx, "k", 1, time.Minute, now); err != nil {
		t.Fatal(err)
	}
	start := now.Truncate(time.Minute)
	ttl := r.rdb.PTTL(ctx, r.counterKey("k", start)).Val()
	want := start.Add(time.Minute).Sub(now) + expirySlack
	if ttl <= 0 || ttl > want || ttl < want-time.Second {
		t.Fatalf("counter TTL %v, want about %v", ttl, want)
	}
}

func TestRateLimiterConcurrent(t *testing.T) {
	url := testURL(t)
	t.Parallel()
	prefix := newPrefix(t)
	// Two clients: two instances sharing one counter.
	clients := []*Client{openTest(t, url, prefix, Options{}), openTest(t, url, prefix, Options{})}
	now := time.Now()
	var mu sync.Mutex
	var befores []int
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			n, ok, err := clients[i%2].Take(t.Context(), "hot", 17, time.Hour, now)
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				mu.Lock()
				befores = append(befores, n)
				mu.Unlock()
			} else if n != 17 {
				t.Errorf("refused with before = %d, want 17", n)
			}
		})
	}
	wg.Wait()
	sort.Ints(befores)
	if len(befores) != 17 {
		t.Fatalf("%d allowed, want 17", len(befores))
	}
	for i, n := range befores {
		if n != i {
			t.Fatalf("allowed befores %v, want 0..16 each once", befores)
		}
	}
}

func testPair(sessionID, userID string) (*core.Session, *core.User) {
	ms := func(v int64) time.Time { return time.UnixMilli(v).UTC() }
	s := &core.Session{
		ID: sessionID, UserID: userID, CreatedAt: ms(1_700_000_000_123), Expire: ms(1_800_000_000_456),
		Provider: "github", ProviderUID: "gh-1", ProviderAccessToken: "at", ProviderRefreshToken: "rt",
		ProviderAccessTokenExpiry: ms(1_700_000_360_789), SecretHash: []byte{0, 1, 2, 254, 255},
		IP: "203.0.113.9", UserAgent: "Mozilla/5.0", CountryCode: "fr",
		Device: core.Device{OSCode: "MAC", OSName: "Mac", OSVersion: "14", ClientType: "browser",
			ClientCode: "CH", ClientName: "Chrome", ClientVersion: "120", ClientEngine: "Blink",
			ClientEngineVersion: "120.0", DeviceName: "desktop", DeviceBrand: "Apple", DeviceModel: "MacBook"},
	}
	u := &core.User{
		ID: userID, CreatedAt: ms(1_600_000_000_001), UpdatedAt: ms(1_650_000_000_002), Name: "Ada <Admin>",
		Email: "ada@example.com", Phone: "+33612345678", PasswordHash: "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA",
		PasswordUpdate: ms(1_610_000_000_003), Registration: ms(1_600_000_000_004),
		Status: true, EmailVerification: true, PhoneVerification: false,
		Prefs:           json.RawMessage(`{ "theme": "dark", "html": "<b>&</b>" }`),
		PasswordHistory: []string{"old1", "old2"},
		// The gate reads labels from a cached user too.
		Labels: []string{"vip", "beta"},
	}
	return s, u
}

func cacheKey(s string) [32]byte {
	var k [32]byte
	copy(k[:], s)
	return k
}

func TestSharedCacheRoundTrip(t *testing.T) {
	url := testURL(t)
	t.Parallel()
	ctx := t.Context()
	c := openTest(t, url, newPrefix(t), Options{})
	s, u := testPair("s1", "u1")
	if err := c.PutVerified(ctx, cacheKey("full"), s, u, time.Minute); err != nil {
		t.Fatal(err)
	}
	gs, gu, err := c.GetVerified(ctx, cacheKey("full"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gs, s) || !reflect.DeepEqual(gu, u) {
		t.Fatalf("round trip:\n got %+v\n     %+v\nwant %+v\n     %+v", gs, gu, s, u)
	}
	// Zero values survive too: zero times, nil slices, empty non-nil ones.
	zs, zu := &core.Session{ID: "s0", UserID: "u0", SecretHash: []byte{}}, &core.User{ID: "u0", PasswordHistory: []string{}}
	if err := c.PutVerified(ctx, cacheKey("zero"), zs, zu, time.Minute); err != nil {
		t.Fatal(err)
	}
	gs, gu, err = c.GetVerified(ctx, cacheKey("zero"))
	if err != nil || !reflect.DeepEqual(gs, zs) || !reflect.DeepEqual(gu, zu) {
		t.Fatalf("zero round trip: %+v %+v %v", gs, gu, err)
	}
	_, _, err = c.GetVerified(ctx, cacheKey("missing"))
	if !errors.Is(err, core.ErrNotFound) || errors.Is(err, goredis.Nil) {
		t.Fatalf("miss: %v, want core.ErrNotFound", err)
	}
}

func TestSharedCacheTTL(t *testing.T) {
	url := testURL(t)
	t.Parallel()
	ctx := t.Context()
	c := openTest(t, url, newPrefix(t), Options{})
	s, u := testPair("s1", "u1")
	k := cacheKey("a")
	if err := c.PutVerified(ctx, k, s, u, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// A shorter entry of the same session must not shorten its sets.
	if err := c.PutVerified(ctx, cacheKey("b"), s, u, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{c.entryKey(hex.EncodeToString(k[:])), c.sessionSetKey("s1"), c.userSetKey("u1")} {
		if ttl := c.rdb.PTTL(ctx, key).Val(); ttl < 9*time.Second || ttl > 10*time.Second {
			t.Errorf("%s: PTTL %v, want about 10s", key, ttl)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if _, _, err := c.GetVerified(ctx, cacheKey("b")); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("expired entry: %v, want core.ErrNotFound", err)
	}
	if _, _, err := c.GetVerified(ctx, k); err != nil {
		t.Fatalf("live entry: %v", err)
	}
}

func TestSharedCacheDrop(t *testing.T) {
	url := testURL(t)
	t.Parallel()
	ctx := t.Context()
	c := openTest(t, url, newPrefix(t), Options{})
	put := func(k, sid, uid string) {
		s, u := testPair(sid, uid)
		if err := c.PutVerified(ctx, cacheKey(k), s, u, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	put("secret1", "s1", "u1")
	put("jwt1", "s1", "u1")
	put("secret2", "s2", "u1")
	put("secret3", "s3", "u2")
	check := func(want map[string]bool) {
		t.Helper()
		for k, live := range want {
			_, _, err := c.GetVerified(ctx, cacheKey(k))
			if live && err != nil || !live && !errors.Is(err, core.ErrNotFound) {
				t.Errorf("%s: %v, want live=%v", k, err, live)
			}
		}
	}
	if err := c.DropSession(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	check(map[string]bool{"secret1": false, "jwt1": false, "secret2": true, "secret3": true})
	if err := c.DropUser(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	check(map[string]bool{"secret2": false, "secret3": true})
	if err := c.DropUser(ctx, "nobody"); err != nil {
		t.Fatal(err)
	}
	if err := c.DropSession(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
}

func TestDeadRedis(t *testing.T) {
	testURL(t)
	t.Parallel()
	ctx := t.Context()
	c, err := Open(ctx, "redis://127.0.0.1:1/0", Options{KeyPrefix: newPrefix(t), DialTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open must not fail on a dead Redis: %v", err)
	}
	defer c.Close()
	if _, _, err := c.Take(ctx, "k", 1, time.Minute, time.Now()); !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("Take: %v, want core.ErrUnavailable", err)
	}
	if _, err := c.Count(ctx, "k", time.Minute, time.Now()); !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("Count: %v, want core.ErrUnavailable", err)
	}
	if _, _, err := c.GetVerified(ctx, cacheKey("k")); !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("GetVerified: %v, want core.ErrUnavailable", err)
	}
	if err := c.PublishRevocation(ctx, core.Revocation{UserID: "u"}); !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("PublishRevocation: %v, want core.ErrUnavailable", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.SubscribeRevocations(sctx, func(core.Revocation) {}, func() { t.Error("resync without a subscription") })
	}()
	for range 15 {
		if c.Healthy() {
			t.Fatal("Healthy on a dead Redis")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	<-done
}

func TestOpenOptions(t *testing.T) {
	ctx := t.Context()
	for _, bad := range []struct {
		url  string
		opts Options
	}{
		{"http://localhost", Options{}},
		{"redis://localhost/x", Options{}},
		{"redis-sentinel://localhost:26379", Options{}}, // no master_name
		{"", Options{}},
		{"", Options{SentinelMaster: "m"}},
		{"", Options{SentinelMaster: "m", SentinelAddrs: []string{"a:1"}, ClusterAddrs: []string{"b:1"}}},
		{"redis://localhost/3", Options{ClusterAddrs: []string{"b:1"}}},
	} {
		if c, err := Open(ctx, bad.url, bad.opts); err == nil {
			c.Close()
			t.Errorf("Open(%q, %+v) succeeded", bad.url, bad.opts)
		}
	}
	if _, err := Open(ctx, "redis://:s3cret@localhost/x", Options{}); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error %v must not show the password", err)
	}
	for _, good := range []struct {
		url  string
		opts Options
	}{
		{"redis-sentinel://127.0.0.1:1/2?master_name=m&addr=127.0.0.1:2&dial_timeout=100ms", Options{}},
		{"rediss://u:p@127.0.0.1:1/0", Options{SentinelMaster: "m", SentinelAddrs: []string{"127.0.0.1:1"}, DialTimeout: 100 * time.Millisecond}},
		{"", Options{ClusterAddrs: []string{"127.0.0.1:1", "127.0.0.1:2"}, DialTimeout: 100 * time.Millisecond}},
	} {
		c, err := Open(ctx, good.url, good.opts)
		if err != nil {
			t.Errorf("Open(%q, %+v): %v", good.url, good.opts, err)
			continue
		}
		c.Close()
	}
}

// TestOpenErrorsKeepPasswords: a URL that does not parse is quoted in the
// error; its passwords are masked.
func TestOpenErrorsKeepPasswords(t *testing.T) {
	const pw = "Redis-Pa55word-Secret"
	for _, u := range []string{
		"redis://:" + pw + "@127.0.0.1:notaport/0",
		"redis://user:" + pw + "@[::1/0",
		"redis-sentinel://:" + pw + "@127.0.0.1:notaport/0?master_name=m",
		"redis://127.0.0.1:6379/0?password=" + pw + "&db=x",
	} {
		_, err := Open(t.Context(), u, Options{})
		if err == nil {
			t.Fatalf("%q opened", u)
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("the password is in the error: %v", err)
		}
	}
}

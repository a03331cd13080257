package ratelimit_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/ratelimit"
)

// TestMemoryRateLimiterCap: a flood of distinct keys never takes the
// limiter beyond its cap, and a key in steady use (an attacker's IP
// counting failed sign-ins) survives the flood with its count.
func TestMemoryRateLimiterCap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const capacity, limit = 100, 5
	m := ratelimit.NewMemory(capacity)
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	hot := "signin.failures|ip:192.0.2.1"
	for i := 0; i < 10_000; i++ {
		if _, _, err := m.Take(ctx, "sessions.email|email:"+strconv.Itoa(i)+"@example.com", 10, time.Hour, now); err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			m.Take(ctx, hot, limit, time.Hour, now)
		}
		if n := m.Len(); n > capacity {
			t.Fatalf("%d keys after %d distinct ones, cap %d", n, i+1, capacity)
		}
	}
	if before, allowed, _ := m.Take(ctx, hot, limit, time.Hour, now); allowed || before != limit {
		t.Fatalf("the busy key lost its count in the flood: before=%d allowed=%v", before, allowed)
	}
	// The oldest of the flood went first: the latest keys are all there.
	for i := 10_000 - 50; i < 10_000; i++ {
		if n, _ := m.Count(ctx, "sessions.email|email:"+strconv.Itoa(i)+"@example.com", time.Hour, now); n != 1 {
			t.Fatalf("recent key %d evicted before older ones", i)
		}
	}
	if m.MaxKeys() != capacity || ratelimit.NewMemory(0).MaxKeys() != ratelimit.DefaultMemoryKeys {
		t.Fatal("MaxKeys does not report the cap")
	}
}

// TestMemoryRateLimiterSweep: counters are dropped once no window can
// read them, but the previous window stays readable (the OAuth2 replay
// guard reads it).
func TestMemoryRateLimiterSweep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := ratelimit.NewMemory(0)
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	m.Take(ctx, "old", 10, time.Hour, now)
	later := now.Add(time.Hour)
	m.Take(ctx, "new", 10, time.Hour, later)
	if n, _ := m.Count(ctx, "old", time.Hour, now); n != 1 {
		t.Fatalf("previous window dropped too early: %d", n)
	}
	m.Take(ctx, "newer", 10, time.Hour, now.Add(2*time.Hour))
	if n := m.Len(); n != 2 {
		t.Fatalf("%d counters after the sweep, want 2 (new, newer)", n)
	}
}

// BenchmarkMemoryRateLimiter counts 1,000,000 distinct keys, shaped like
// sign-ins for random emails, and reports the heap the limiter keeps:
// with the default cap, and with a cap large enough to keep them all.
func BenchmarkMemoryRateLimiter(b *testing.B) {
	const keys = 1_000_000
	for _, tc := range []struct {
		name string
		cap  int
	}{{"default-cap", 0}, {"cap-1M", keys}} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				m := ratelimit.NewMemory(tc.cap)
				for i := 0; i < keys; i++ {
					m.Take(ctx, "sessions.email|email:user"+strconv.Itoa(i)+"@example.com", 10, time.Hour, now)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB-kept")
				b.ReportMetric(float64(m.Len()), "keys-kept")
				runtime.KeepAlive(m)
			}
		})
	}
}

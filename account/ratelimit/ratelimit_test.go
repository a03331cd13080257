package ratelimit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/ratelimit"
)

var errDown = errors.New("backend unavailable")

// flaky is a shared limiter that fails with errDown (or reports itself
// unhealthy) on demand, and counts in memory otherwise.
type flaky struct {
	*ratelimit.Memory
	fail, unhealthy bool
	calls           int
}

func (f *flaky) Take(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (int, bool, error) {
	f.calls++
	if f.fail {
		return 0, false, fmt.Errorf("take: %w", errDown)
	}
	return f.Memory.Take(ctx, key, limit, window, now)
}

func (f *flaky) Count(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	f.calls++
	if f.fail {
		return 0, fmt.Errorf("count: %w", errDown)
	}
	return f.Memory.Count(ctx, key, window, now)
}

func (f *flaky) Healthy() bool { return !f.unhealthy }

// TestFallback: the shared limiter counts while it answers; an error
// wrapping the unavailable sentinel moves the count to memory (logged),
// an unhealthy shared limiter is not asked at all, and other errors
// reach the caller.
func TestFallback(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	shared := &flaky{Memory: ratelimit.NewMemory(0)}
	local := ratelimit.NewMemory(0)
	var logs bytes.Buffer
	f := ratelimit.NewFallback(shared, local, errDown, slog.New(slog.NewTextHandler(&logs, nil)))

	if _, ok, err := f.Take(ctx, "k", 2, time.Hour, now); !ok || err != nil {
		t.Fatalf("shared take: %v %v", ok, err)
	}
	if n, _ := shared.Memory.Count(ctx, "k", time.Hour, now); n != 1 || local.Len() != 0 {
		t.Fatalf("counted in the wrong limiter: shared %d, local keys %d", n, local.Len())
	}

	shared.fail = true
	if before, ok, err := f.Take(ctx, "k", 2, time.Hour, now); before != 0 || !ok || err != nil {
		t.Fatalf("fallback take: %d %v %v", before, ok, err)
	}
	if n, err := f.Count(ctx, "k", time.Hour, now); n != 1 || err != nil {
		t.Fatalf("fallback count: %d %v", n, err)
	}
	if !strings.Contains(logs.String(), "shared rate limiter unavailable") {
		t.Errorf("the switch was not logged: %q", logs.String())
	}

	shared.unhealthy, shared.calls = true, 0
	f.Take(ctx, "k", 2, time.Hour, now)
	if n, _ := f.Count(ctx, "k", time.Hour, now); n != 2 || shared.calls != 0 {
		t.Fatalf("unhealthy shared limiter: local count %d, shared asked %d times", n, shared.calls)
	}

	other := errors.New("script error")
	g := ratelimit.NewFallback(limiterFunc(func() error { return other }), local, errDown, slog.New(slog.DiscardHandler))
	if _, _, err := g.Take(ctx, "k", 2, time.Hour, now); !errors.Is(err, other) {
		t.Fatalf("other errors must reach the caller: %v", err)
	}
	if _, err := g.Count(ctx, "k", time.Hour, now); !errors.Is(err, other) {
		t.Fatalf("other errors must reach the caller: %v", err)
	}
}

// limiterFunc fails every call with the error fn returns.
type limiterFunc func() error

func (l limiterFunc) Take(context.Context, string, int, time.Duration, time.Time) (int, bool, error) {
	return 0, false, l()
}

func (l limiterFunc) Count(context.Context, string, time.Duration, time.Time) (int, error) {
	return 0, l()
}

// TestApply: the rule with the fewest requests left is reported, limits
// that are off are not counted, and the refusing limits are named.
func TestApply(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	m := ratelimit.NewMemory(0)
	limits := map[string]int{"per.email": 3, "per.ip": 2, "off": 0}
	rules := []ratelimit.Rule{{Name: "per.email", Key: "email:a"}, {Name: "per.ip", Key: "ip:1"}, {Name: "off", Key: "x"}}
	limitOf := func(name string) int { return limits[name] }

	want := []ratelimit.Result{
		{Limited: true, Limit: 2, Remaining: 1},
		{Limited: true, Limit: 2, Remaining: 0},
		{Limited: true, Limit: 3, Remaining: 0, Refused: []string{"per.ip"}},
		{Limited: true, Limit: 3, Remaining: 0, Refused: []string{"per.email", "per.ip"}},
	}
	for i, w := range want {
		res, err := ratelimit.Apply(ctx, m, rules, limitOf, time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		if res.Limited != w.Limited || res.Limit != w.Limit || res.Remaining != w.Remaining || !slices.Equal(res.Refused, w.Refused) ||
			!res.Reset.Equal(time.Date(2026, 3, 4, 6, 0, 0, 0, time.UTC)) {
			t.Fatalf("request %d: %+v, want %+v", i+1, res, w)
		}
	}
	if n, _ := m.Count(ctx, "off|x", time.Hour, now); n != 0 {
		t.Fatalf("a limit that is off was counted: %d", n)
	}
	if res, err := ratelimit.Apply(ctx, m, rules[2:], limitOf, time.Hour, now); err != nil || res.Limited {
		t.Fatalf("every limit off: %+v %v", res, err)
	}
	// A limiter failing on the second rule: the first one's refusal is
	// still reported with the error.
	calls := 0
	failSecond := limiterFunc(func() error {
		if calls++; calls == 2 {
			return errDown
		}
		return nil
	})
	res, err := ratelimit.Apply(ctx, failSecond, rules, limitOf, time.Hour, now)
	if !errors.Is(err, errDown) || !slices.Equal(res.Refused, []string{"per.email"}) || res.Limited {
		t.Fatalf("failing limiter: %+v %v", res, err)
	}
}

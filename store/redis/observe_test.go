package redis

import (
	"sync"
	"testing"
	"time"
)

// TestObserveCalls: every command reaches the observer with its name and
// duration; a cache miss is not an error, a closed client is.
func TestObserveCalls(t *testing.T) {
	c := openTest(t, testURL(t), newPrefix(t), Options{})
	type call struct {
		name string
		d    time.Duration
		err  error
	}
	var mu sync.Mutex
	var calls []call
	c.ObserveCalls(func(name string, d time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call{name, d, err})
	})
	ctx := t.Context()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.GetVerified(ctx, [32]byte{1}); err == nil {
		t.Fatal("GetVerified of a missing key succeeded")
	}
	mu.Lock()
	got := append([]call(nil), calls...)
	mu.Unlock()
	if len(got) < 2 {
		t.Fatalf("observed %d calls, want at least 2: %+v", len(got), got)
	}
	if got[0].name != "ping" || got[0].err != nil || got[0].d <= 0 {
		t.Errorf("first call = %+v, want a successful ping with a duration", got[0])
	}
	for _, c := range got[1:] {
		if c.err != nil {
			t.Errorf("call %s after the ping failed: %v (a miss must not count as an error)", c.name, c.err)
		}
	}

	closed := openTest(t, testURL(t), newPrefix(t), Options{})
	var failed error
	closed.ObserveCalls(func(_ string, _ time.Duration, err error) { failed = err })
	_ = closed.Close()
	if err := closed.Ping(ctx); err == nil {
		t.Fatal("Ping on a closed client succeeded")
	}
	if failed == nil {
		t.Error("the failed ping reached the observer without its error")
	}
}

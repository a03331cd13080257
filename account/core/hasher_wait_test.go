package core

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestHasherReportsWaits: a free slot is reported as no wait; a request
// that finds every slot taken reports how long it waited, and whether it
// gave up with general_server_busy.
func TestHasherReportsWaits(t *testing.T) {
	h := NewHasher(PasswordConfig{Memory: 64, Time: 1, Threads: 1, Concurrency: 1, Wait: 30 * time.Millisecond})
	type wait struct {
		d    time.Duration
		busy bool
	}
	var got []wait
	h.OnWait = func(d time.Duration, busy bool) { got = append(got, wait{d, busy}) }
	ctx := context.Background()
	if err := h.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.Acquire(ctx); !errors.Is(err, errBusy) {
		t.Fatalf("second acquire = %v, want general_server_busy", err)
	}
	go func() { time.Sleep(10 * time.Millisecond); h.Release() }()
	if err := h.Acquire(ctx); err != nil {
		t.Fatalf("acquire after a release: %v", err)
	}
	h.Release()
	if len(got) != 3 {
		t.Fatalf("reported %d waits, want 3: %v", len(got), got)
	}
	if got[0] != (wait{0, false}) {
		t.Errorf("free slot reported %v", got[0])
	}
	if !got[1].busy || got[1].d < 30*time.Millisecond {
		t.Errorf("refusal reported %v, want busy after at least 30ms", got[1])
	}
	if got[2].busy || got[2].d <= 0 {
		t.Errorf("wait for a released slot reported %v", got[2])
	}
}

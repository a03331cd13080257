package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Fallback counts in a shared limiter and, while it is unreachable, in
// this instance's memory: limits then hold per instance.
type Fallback struct {
	shared      Limiter
	local       *Memory
	unavailable error
	log         *slog.Logger
}

// NewFallback counts in shared, and in local whenever shared fails with
// an error wrapping unavailable or reports itself unhealthy (a
// Healthy() bool method). The switch is logged to log.
func NewFallback(shared Limiter, local *Memory, unavailable error, log *slog.Logger) *Fallback {
	return &Fallback{shared: shared, local: local, unavailable: unavailable, log: log}
}

// sharedDown reports whether the shared limiter is known to be
// unreachable, so as not to wait for its timeouts on every request.
func (f *Fallback) sharedDown() bool {
	h, ok := f.shared.(interface{ Healthy() bool })
	return ok && !h.Healthy()
}

// Take implements Limiter.
func (f *Fallback) Take(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (int, bool, error) {
	if f.sharedDown() {
		return f.local.Take(ctx, key, limit, window, now)
	}
	before, ok, err := f.shared.Take(ctx, key, limit, window, now)
	if err != nil && errors.Is(err, f.unavailable) {
		f.log.Warn("shared rate limiter unavailable, counting on this instance", "error", err)
		return f.local.Take(ctx, key, limit, window, now)
	}
	return before, ok, err
}

// Count implements Limiter.
func (f *Fallback) Count(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	if f.sharedDown() {
		return f.local.Count(ctx, key, window, now)
	}
	n, err := f.shared.Count(ctx, key, window, now)
	if err != nil && errors.Is(err, f.unavailable) {
		return f.local.Count(ctx, key, window, now)
	}
	return n, err
}

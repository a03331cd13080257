package ratelimit

import (
	"context"
	"time"
)

// Limiter counts requests per key in fixed windows aligned on multiples
// of the window since the Unix epoch (as Appwrite's abuse limits).
// Implementations must be exact under concurrency.
type Limiter interface {
	// Take counts one request against key in the window containing now if
	// the count is below limit. It returns the count before the call and
	// whether the request was counted (allowed).
	Take(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (before int, allowed bool, err error)
	// Count returns the count of key in the window containing now.
	Count(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
}

// WindowStart is the start of the fixed window containing now.
func WindowStart(now time.Time, window time.Duration) time.Time {
	return now.Truncate(window)
}

// Rule is one limit of a request: the limit's name and the key the
// request counts under (Apply counts it as Name|Key).
type Rule struct {
	Name string
	Key  string
}

// Result is what Apply decided, for the X-RateLimit-* headers: the limit
// with the fewest requests left, and which limits refused the request.
type Result struct {
	// Limited is false when no rule applied (every limit off).
	Limited   bool
	Limit     int
	Remaining int
	Reset     time.Time
	// Refused names the limits that were already used up.
	Refused []string
}

// Apply counts one request against each rule whose limit (from limitOf;
// 0 or less means off) is on, in the window containing now. On an error
// of the limiter, the Result names only the limits that refused before
// it.
func Apply(ctx context.Context, l Limiter, rules []Rule, limitOf func(name string) int, window time.Duration, now time.Time) (Result, error) {
	var res Result
	fewest := -1
	for _, rule := range rules {
		limit := limitOf(rule.Name)
		if limit <= 0 {
			continue
		}
		before, allowed, err := l.Take(ctx, rule.Name+"|"+rule.Key, limit, window, now)
		if err != nil {
			// The limits that refused before the failure still did.
			return Result{Refused: res.Refused}, err
		}
		if left := max(0, limit-(before+1)); fewest < 0 || left < fewest {
			res.Limit, fewest = limit, left
		}
		if !allowed {
			res.Refused = append(res.Refused, rule.Name)
		}
	}
	if fewest < 0 {
		return Result{}, nil
	}
	res.Limited, res.Remaining = true, fewest
	res.Reset = WindowStart(now, window).Add(window)
	return res, nil
}

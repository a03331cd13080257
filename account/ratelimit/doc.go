// Package ratelimit counts requests per key in fixed windows: the
// Limiter interface a shared backend implements (store/redis), the
// in-process Memory limiter, the Fallback between the two, and Apply,
// which takes one request against a route's named limits.
//
// It knows nothing of HTTP routes or of the account service: callers name
// their limits and build the keys.
package ratelimit

package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// takeScript counts one request if the counter KEYS[1] is below the limit
// ARGV[1], and makes the counter expire ARGV[2] ms later (the end of its
// window, plus expirySlack). It returns {count before, 1 if counted}.
// Running as one script makes the check and the increment atomic across
// every client of the server.
var takeScript = goredis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then
	return {n, 0}
end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {n, 1}
`)

// expirySlack keeps a counter a little past its window, so that an
// instance whose clock lags slightly still finds it.
const expirySlack = 10 * time.Second

// Take implements ratelimit.Limiter. The window is the one containing now
// (the caller's clock, never Redis's), aligned on multiples of window since
// the Unix epoch, as ratelimit.Memory.
//
// Take is exact while Redis answers. When go-redis retries a call whose
// reply was lost (a read timeout, a dropped connection), the request may
// have been counted twice: a limit can then be reached one request early,
// never late.
func (c *Client) Take(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (int, bool, error) {
	if window <= 0 {
		return 0, false, errors.New("redis: rate limit window must be positive")
	}
	start := now.Truncate(window)
	ttl := start.Add(window).Sub(now) + expirySlack
	res, err := takeScript.Run(ctx, c.rdb, []string{c.counterKey(key, start)},
		limit, ttl.Milliseconds()).Int64Slice()
	if err != nil {
		return 0, false, wrap("rate limit take", err)
	}
	if len(res) != 2 {
		return 0, false, fmt.Errorf("redis: rate limit take: unexpected reply %v", res)
	}
	return int(res[0]), res[1] == 1, nil
}

// Count implements ratelimit.Limiter.
func (c *Client) Count(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	if window <= 0 {
		return 0, errors.New("redis: rate limit window must be positive")
	}
	n, err := c.rdb.Get(ctx, c.counterKey(key, now.Truncate(window))).Int()
	if errors.Is(err, goredis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, wrap("rate limit count", err)
	}
	return n, nil
}

// counterKey is the key of the counter of key in the window starting at
// start.
func (c *Client) counterKey(key string, start time.Time) string {
	return c.key("rl:" + key + ":" + strconv.FormatInt(start.UnixMilli(), 10))
}

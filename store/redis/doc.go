// Package redis implements the shared-state interfaces of package account on
// Redis, so several accountgate instances can run side by side behind one
// PostgreSQL store:
//
//   - ratelimit.Limiter: exact fixed-window counters, one Lua script per
//     Take so concurrent instances never overshoot a limit;
//   - core.Revocations: revocations published on a pub/sub channel. A
//     Client holds one subscription, which pings its connection and turns
//     unhealthy within about a second of losing Redis, and fans every
//     message out to its Subscriptions (NewSubscription): one per
//     configuration using the Client, each with its own health, so that a
//     configuration stopping in a reload leaves the next one healthy;
//   - core.SharedCache: verified sessions cached as JSON, indexed by
//     session and user so that a revocation drops every entry at once.
//
// Every key and the pub/sub channel start with Options.KeyPrefix, so
// projects (and tests) can share one Redis database. The keys are
//
//	<prefix>rl:<key>:<window start in unix ms>  rate-limit counter
//	<prefix>v:<hex cache key>                   cached session and user (JSON)
//	<prefix>vs:<session id>                     set of cache keys of a session
//	<prefix>vu:<user id>                        set of cache keys of a user
//	<prefix>revocations                         pub/sub channel
//
// Open accepts redis:// and rediss:// URLs (password, database, TLS), Redis
// Sentinel through redis-sentinel:// URLs or Options.SentinelMaster, and
// Redis Cluster through Options.ClusterAddrs. It needs Redis 7.0 or newer
// (PEXPIRE NX/GT). Connection failures are reported as errors wrapping
// core.ErrUnavailable.
package redis

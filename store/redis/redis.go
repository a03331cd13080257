package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/ratelimit"
	"github.com/accountgate/accountgate/store"
)

// Options tunes Open. The zero value is valid.
type Options struct {
	// KeyPrefix starts every key and the pub/sub channel, e.g.
	// "accountgate:myproject:".
	KeyPrefix string
	// DialTimeout, ReadTimeout and WriteTimeout override the URL's and
	// go-redis's defaults when positive.
	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// SentinelMaster and SentinelAddrs select Redis Sentinel: the client
	// asks the sentinels at SentinelAddrs (host:port) for the master named
	// SentinelMaster. The URL then only gives the master's credentials,
	// database and TLS, and may be empty.
	SentinelMaster string
	SentinelAddrs  []string
	// ClusterAddrs selects Redis Cluster: the seed nodes (host:port). The
	// URL then only gives the credentials and TLS, and may be empty; its
	// database must be 0.
	ClusterAddrs []string
}

// Client is a connection to Redis implementing ratelimit.Limiter,
// core.Revocations and core.SharedCache. It is safe for concurrent
// use. It holds at most one pub/sub subscription, shared by all its
// Subscriptions (see NewSubscription).
type Client struct {
	rdb    goredis.UniversalClient
	prefix string
	hub    hub
}

var (
	_ ratelimit.Limiter = (*Client)(nil)
	_ core.Revocations  = (*Client)(nil)
	_ core.SharedCache  = (*Client)(nil)
)

// pingTimeout bounds the ping of Open.
const pingTimeout = 2 * time.Second

// Open connects to the Redis at rawURL:
//
//	redis://[[user]:password@]host[:port][/db][?go-redis options]
//	rediss://...                        the same over TLS
//	redis-sentinel://[[user]:password@]sentinel[:port][/db]?master_name=m[&addr=sentinel2:port][&password=master password]
//	rediss-sentinel://...               the same with TLS to the master
//
// In sentinel URLs the user info authenticates against the sentinels and
// the password query parameter against the master, as in go-redis's
// ParseFailoverURL. See Options for Sentinel and Cluster without a
// sentinel URL.
//
// Open pings Redis once, but an unreachable Redis is not an error: Redis
// may come back later, and every call reports core.ErrUnavailable
// meanwhile. Open logs nothing; call Ping to check the connection. Only a
// malformed URL or contradictory options make Open fail.
func Open(ctx context.Context, rawURL string, opts Options) (*Client, error) {
	rdb, err := newUniversal(rawURL, opts)
	if err != nil {
		return nil, err
	}
	c := &Client{rdb: rdb, prefix: opts.KeyPrefix}
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	_ = c.Ping(pctx) // not fatal, see above
	return c, nil
}

// newUniversal builds the go-redis client Options and rawURL ask for.
func newUniversal(rawURL string, opts Options) (goredis.UniversalClient, error) {
	if opts.SentinelMaster != "" && len(opts.ClusterAddrs) > 0 {
		return nil, errors.New("redis: SentinelMaster and ClusterAddrs are exclusive")
	}
	if opts.SentinelMaster != "" && len(opts.SentinelAddrs) == 0 {
		return nil, errors.New("redis: SentinelMaster needs SentinelAddrs")
	}
	scheme, _, _ := strings.Cut(rawURL, "://")
	if scheme == "redis-sentinel" || scheme == "rediss-sentinel" {
		if opts.SentinelMaster != "" || len(opts.ClusterAddrs) > 0 {
			return nil, errors.New("redis: a sentinel URL excludes SentinelMaster and ClusterAddrs")
		}
		fo, err := goredis.ParseFailoverURL(strings.TrimSuffix(scheme, "-sentinel") + rawURL[len(scheme):])
		if err != nil {
			return nil, fmt.Errorf("redis: parsing the URL: %w", redactURL(err, rawURL))
		}
		if fo.MasterName == "" {
			return nil, errors.New("redis: a sentinel URL needs master_name")
		}
		setTimeouts(&fo.DialTimeout, &fo.ReadTimeout, &fo.WriteTimeout, opts)
		fo.DialerRetries = dialerRetries(fo.DialerRetries)
		return goredis.NewFailoverClient(fo), nil
	}
	o := &goredis.Options{}
	if rawURL != "" {
		var err error
		if o, err = goredis.ParseURL(rawURL); err != nil {
			return nil, fmt.Errorf("redis: parsing the URL: %w", redactURL(err, rawURL))
		}
	}
	setTimeouts(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, opts)
	o.DialerRetries = dialerRetries(o.DialerRetries)
	switch {
	case opts.SentinelMaster != "":
		return goredis.NewFailoverClient(&goredis.FailoverOptions{
			MasterName: opts.SentinelMaster, SentinelAddrs: opts.SentinelAddrs,
			Username: o.Username, Password: o.Password, DB: o.DB, TLSConfig: o.TLSConfig,
			ClientName: o.ClientName, Protocol: o.Protocol, MaxRetries: o.MaxRetries,
			DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
			PoolSize: o.PoolSize, MinIdleConns: o.MinIdleConns, PoolTimeout: o.PoolTimeout,
			DialerRetries: o.DialerRetries,
		}), nil
	case len(opts.ClusterAddrs) > 0:
		if o.DB != 0 {
			return nil, errors.New("redis: Redis Cluster has only database 0")
		}
		return goredis.NewClusterClient(&goredis.ClusterOptions{
			Addrs:    opts.ClusterAddrs,
			Username: o.Username, Password: o.Password, TLSConfig: o.TLSConfig,
			ClientName: o.ClientName, Protocol: o.Protocol, MaxRetries: o.MaxRetries,
			DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
			PoolSize: o.PoolSize, MinIdleConns: o.MinIdleConns, PoolTimeout: o.PoolTimeout,
			DialerRetries: o.DialerRetries,
		}), nil
	case rawURL == "":
		return nil, errors.New("redis: no URL")
	}
	return goredis.NewClient(o), nil
}

// setTimeouts applies the positive timeouts of opts.
func setTimeouts(dial, read, write *time.Duration, opts Options) {
	for _, p := range []struct {
		dst *time.Duration
		v   time.Duration
	}{{dial, opts.DialTimeout}, {read, opts.ReadTimeout}, {write, opts.WriteTimeout}} {
		if p.v > 0 {
			*p.dst = p.v
		}
	}
}

// dialerRetries is the URL's dialer_retries or, by default, 1: go-redis
// would otherwise dial 5 times per attempt of a command (4 attempts), so
// that every call on a down Redis took almost 2 s before failing. The
// command retries of go-redis remain.
func dialerRetries(fromURL int) int {
	if fromURL > 0 {
		return fromURL
	}
	return 1
}

// redactURL keeps the passwords of rawURL out of a parse error, which
// quotes the URL when it does not parse.
func redactURL(err error, rawURL string) error {
	msg := err.Error()
	for _, pw := range store.DSNSecrets(rawURL) {
		msg = strings.ReplaceAll(msg, pw, store.Mask)
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

// Close ends the pub/sub subscription and closes the connections.
// Subscriptions still joined turn unhealthy.
func (c *Client) Close() error {
	c.hub.close()
	return c.rdb.Close()
}

// Ping checks that Redis answers; errors wrap core.ErrUnavailable.
func (c *Client) Ping(ctx context.Context) error {
	return wrap("ping", c.rdb.Ping(ctx).Err())
}

// key prefixes name.
func (c *Client) key(name string) string { return c.prefix + name }

// wrap annotates err; everything but a permanent error reply of Redis (a
// bad command, a wrong type) means Redis cannot serve us right now and
// wraps core.ErrUnavailable.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var re goredis.Error
	if errors.As(err, &re) && !transientReply(re.Error()) {
		return fmt.Errorf("redis: %s: %w", op, err)
	}
	return fmt.Errorf("redis: %s: %w: %w", op, core.ErrUnavailable, err)
}

// transientReply reports whether an error reply of Redis means the server
// (or cluster) cannot serve right now.
func transientReply(msg string) bool {
	for _, p := range []string{"LOADING", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "BUSY", "NOREPLICAS", "MOVED", "ASK"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

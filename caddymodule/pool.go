package caddymodule

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/ratelimit"
	"github.com/accountgate/accountgate/store/postgres"
	"github.com/accountgate/accountgate/store/redis"
	"github.com/accountgate/accountgate/store/sqlite"
)

// stores shares open stores across config reloads: a reload reuses the
// open database (and its migrations ran once) instead of reopening it.
var stores = caddy.NewUsagePool()

// pooledStore is a store in the pool; Destruct closes it when the last
// config using it is gone.
type pooledStore struct {
	core.Store
	close func() error
}

func (p *pooledStore) Destruct() error { return p.close() }

// storeKey identifies a store in the pool.
func storeKey(c StoreConfig) string {
	if c.Kind == "sqlite" {
		if abs, err := filepath.Abs(c.DSN); err == nil {
			return "sqlite:" + abs
		}
	}
	return c.Kind + ":" + c.DSN + "#" + c.Schema
}

// acquireStore opens the store c names, or returns the one already open.
// Each successful call must be paired with releaseStore.
func acquireStore(ctx context.Context, c StoreConfig) (core.Store, error) {
	val, _, err := stores.LoadOrNew(storeKey(c), func() (caddy.Destructor, error) {
		switch c.Kind {
		case "sqlite":
			st, err := sqlite.Open(ctx, c.DSN)
			if err != nil {
				return nil, err
			}
			return &pooledStore{Store: st, close: st.Close}, nil
		case "postgres":
			st, err := postgres.Open(ctx, c.DSN, postgres.Options{Schema: c.Schema, MaxConns: c.MaxConns, MinConns: c.MinConns,
				ConnectTimeout: time.Duration(c.ConnectTimeout), QueryTimeout: time.Duration(c.QueryTimeout)})
			if err != nil {
				return nil, err
			}
			return &pooledStore{Store: st, close: st.Close}, nil
		}
		return nil, fmt.Errorf("unknown store kind %q", c.Kind)
	})
	if err != nil {
		return nil, fmt.Errorf("opening %s store: %w", c.Kind, err)
	}
	return val.(*pooledStore).Store, nil
}

// caches shares Redis clients across reloads, like stores.
var caches = caddy.NewUsagePool()

type pooledCache struct{ *redis.Client }

func (p pooledCache) Destruct() error { return p.Close() }

func cacheKey(c CacheConfig) string {
	return c.URL + "|" + c.KeyPrefix + "|" + c.SentinelMaster + "|" + strings.Join(c.SentinelAddrs, ",") + "|" + strings.Join(c.ClusterAddrs, ",")
}

// acquireCache opens the Redis client c names, or returns the open one.
func acquireCache(ctx context.Context, c CacheConfig) (*redis.Client, error) {
	val, _, err := caches.LoadOrNew(cacheKey(c), func() (caddy.Destructor, error) {
		// Short timeouts: a Redis that hangs must not hold requests long,
		// since every instance can fall back to PostgreSQL and local limits.
		rc, err := redis.Open(ctx, c.URL, redis.Options{KeyPrefix: c.KeyPrefix, SentinelMaster: c.SentinelMaster,
			SentinelAddrs: c.SentinelAddrs, ClusterAddrs: c.ClusterAddrs,
			DialTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond})
		if err != nil {
			return nil, err
		}
		rc.ObserveCalls(observeRedisCall)
		return pooledCache{rc}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("opening the redis cache: %w", err)
	}
	return val.(pooledCache).Client, nil
}

func releaseStore(c StoreConfig) error {
	_, err := stores.Delete(storeKey(c))
	return err
}

// limiters keeps each project's in-process rate limiter across reloads,
// as caddy-ratelimit keeps its state: a reload resets no counter, and the
// OAuth2 replay guard it holds keeps its memory.
var limiters = caddy.NewUsagePool()

type pooledLimiter struct{ *ratelimit.Memory }

func (pooledLimiter) Destruct() error { return nil }

// limiterKey names a project's limiter; a new cap makes a new limiter.
func limiterKey(project string, maxKeys int) string {
	return project + "|" + strconv.Itoa(maxKeys)
}

// acquireLimiter returns the project's limiter, creating it for the
// first configuration that uses it. Release it with limiters.Delete.
func acquireLimiter(project string, maxKeys int) *ratelimit.Memory {
	val, _ := limiters.LoadOrStore(limiterKey(project, maxKeys), pooledLimiter{ratelimit.NewMemory(maxKeys)})
	return val.(pooledLimiter).Memory
}

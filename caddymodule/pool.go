package caddymodule

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/caddyserver/caddy/v2"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/store/sqlite"
)

// stores shares open stores across config reloads: a reload reuses the
// open database (and its migrations ran once) instead of reopening it.
var stores = caddy.NewUsagePool()

// pooledStore is a store in the pool; Destruct closes it when the last
// config using it is gone.
type pooledStore struct {
	account.Store
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
	return c.Kind + ":" + c.DSN
}

// acquireStore opens the store c names, or returns the one already open.
// Each successful call must be paired with releaseStore.
func acquireStore(ctx context.Context, c StoreConfig) (account.Store, error) {
	val, _, err := stores.LoadOrNew(storeKey(c), func() (caddy.Destructor, error) {
		switch c.Kind {
		case "sqlite":
			st, err := sqlite.Open(ctx, c.DSN)
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

func releaseStore(c StoreConfig) error {
	_, err := stores.Delete(storeKey(c))
	return err
}

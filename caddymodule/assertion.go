package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/assertion"
	"github.com/accountgate/accountgate/account/core"
)

// AssertionConfig switches on the signed identity assertion of a gate
// (header X-Account-Assertion).
type AssertionConfig struct {
	// Audience is the `aud` claim: the site the upstream is, e.g.
	// https://app.example.com; required.
	Audience string `json:"audience"`
	// Lifetime of an assertion, 30s to 15m. Default 5m.
	Lifetime caddy.Duration `json:"lifetime,omitempty"`
}

func (c *AssertionConfig) validate() error {
	if c.Audience == "" {
		return errors.New("account_gate: assertion needs an audience (the site, e.g. https://app.example.com)")
	}
	if u, err := url.Parse(c.Audience); err != nil || u.String() != c.Audience {
		return fmt.Errorf("account_gate: assertion audience %q is not a plain URL or name", c.Audience)
	}
	if l := time.Duration(c.Lifetime); l != 0 && (l < assertion.MinLifetime || l > assertion.MaxLifetime) {
		return fmt.Errorf("account_gate: assertion lifetime %s is outside %s..%s", l, assertion.MinLifetime, assertion.MaxLifetime)
	}
	return nil
}

// storeOf returns the backend under the pool's wrapper, for the parts of
// a store that core.Store does not name.
func storeOf(st core.Store) core.Store {
	if p, ok := st.(*pooledStore); ok {
		return p.Store
	}
	return st
}

// startKeys loads (creating the first, if need be) the assertion keys of
// a project's service on its store.
func startKeys(ctx context.Context, keys *assertion.Keys, st core.Store, svc *account.Service) error {
	cfg, err := keysConfig(st, svc)
	if err != nil {
		return err
	}
	return keys.Start(ctx, cfg)
}

func keysConfig(st core.Store, svc *account.Service) (assertion.Config, error) {
	ks, ok := storeOf(st).(assertion.Store)
	if !ok {
		return assertion.Config{}, errors.New("the store cannot keep assertion keys")
	}
	return assertion.Config{Store: ks, Sealer: svc.Sealer(assertion.SealPurpose)}, nil
}

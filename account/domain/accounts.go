// Package domain holds the operations on accounts that the Account API,
// the Users API, MFA and the hosted pages share: changing a user inside a
// transaction, creating and ending sessions, issuing tokens with their
// messages, passwords and their history, and the security log. It knows
// requests only as httpapi.Request, for who asked and from where.
package domain

import (
	"log/slog"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/outbox"
	"github.com/accountgate/accountgate/account/seal"
	"github.com/accountgate/accountgate/account/verify"
)

// Config is what the operations need; Project must hold its defaults.
type Config struct {
	Project  *core.Config
	Verifier *verify.Verifier
	Outbox   *outbox.Outbox
	Hasher   *core.Hasher
	// TokenSeal seals OAuth2 provider tokens at rest.
	TokenSeal *seal.Sealer
	// API reports events (sign-ins, audits) to the observer.
	API *httpapi.API
}

// Accounts carries out the shared operations for one project.
type Accounts struct {
	cfg       *core.Config
	store     core.Store
	verifier  *verify.Verifier
	outbox    *outbox.Outbox
	hasher    *core.Hasher
	tokenSeal *seal.Sealer
	api       *httpapi.API
	log       *slog.Logger
	now       func() time.Time
}

// New returns the operations for cfg.
func New(cfg Config) *Accounts {
	p := cfg.Project
	return &Accounts{
		cfg: p, store: p.Store, verifier: cfg.Verifier, outbox: cfg.Outbox, hasher: cfg.Hasher,
		tokenSeal: cfg.TokenSeal, api: cfg.API, log: p.Logger.With("project", p.ProjectID), now: p.Now,
	}
}

// Clock returns the clock's time at millisecond precision in UTC, the
// precision of every stored and sent datetime.
func (a *Accounts) Clock() time.Time { return a.now().UTC().Truncate(time.Millisecond) }

package domain

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/verify"
)

// NewSessionInput describes a sign-in.
type NewSessionInput struct {
	User        *core.User
	Provider    string
	ProviderUID string
	R           *http.Request
	// Tokens are the provider's tokens, sealed, for OAuth2 sessions.
	Tokens SealedTokens
}

// CreateSession stores a new session for in.User, prunes the user's oldest
// sessions beyond MaxSessions, and returns the session and its secret.
func (a *Accounts) CreateSession(ctx context.Context, in NewSessionInput) (*core.Session, string, error) {
	var ns NewSession
	err := a.store.WithTx(ctx, func(tx core.Store) (err error) {
		ns, err = a.CreateSessionIn(ctx, tx, in)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	a.RevokePruned(ctx, ns)
	return ns.Sess, ns.Secret, nil
}

// NewSession is what CreateSessionIn made: the session, its secret, and
// the sessions it pruned, to revoke once the transaction commits.
type NewSession struct {
	Sess   *core.Session
	Secret string
	Pruned []*core.Session
}

// CreateSessionIn is CreateSession inside the caller's transaction tx.
func (a *Accounts) CreateSessionIn(ctx context.Context, tx core.Store, in NewSessionInput) (NewSession, error) {
	now := a.Clock()
	secret := core.NewSecret()
	hash := core.HashSecret(secret)
	info := a.ClientInfo(a.cfg.ClientIP(in.R), in.R.UserAgent())
	sess := &core.Session{
		ID:                        core.NewID(now),
		UserID:                    in.User.ID,
		CreatedAt:                 now,
		Expire:                    now.Add(a.cfg.SessionDuration),
		Provider:                  in.Provider,
		ProviderUID:               in.ProviderUID,
		ProviderAccessToken:       in.Tokens.Access,
		ProviderRefreshToken:      in.Tokens.Refresh,
		ProviderAccessTokenExpiry: in.Tokens.Expiry,
		SecretHash:                hash[:],
		IP:                        info.IP,
		UserAgent:                 info.UserAgent,
		CountryCode:               info.Country,
		Device:                    info.Device,
	}
	if err := tx.CreateSession(ctx, sess); err != nil {
		return NewSession{}, fmt.Errorf("creating session: %w", err)
	}
	all, err := tx.UserSessions(ctx, in.User.ID)
	if err != nil {
		return NewSession{}, fmt.Errorf("listing sessions: %w", err)
	}
	var pruned []*core.Session
	for i := 0; i < len(all)-a.cfg.MaxSessions; i++ {
		if err := tx.DeleteSession(ctx, all[i].ID); err != nil && !errors.Is(err, core.ErrNotFound) {
			return NewSession{}, fmt.Errorf("pruning session: %w", err)
		}
		pruned = append(pruned, all[i])
	}
	return NewSession{Sess: sess, Secret: secret, Pruned: pruned}, nil
}

// RevokePruned forgets the sessions a committed CreateSessionIn pruned,
// and records the sign-in as an access (accessedAt, throttled like any).
func (a *Accounts) RevokePruned(ctx context.Context, ns NewSession) {
	for _, p := range ns.Pruned {
		a.Revoke(ctx, core.Revocation{SessionID: p.ID, UserID: p.UserID})
	}
	a.TouchUser(ctx, ns.Sess.UserID, ns.Sess.CreatedAt)
}

// DeleteSessions removes sessions and forgets them in the cache at once.
func (a *Accounts) DeleteSessions(ctx context.Context, sessions ...*core.Session) error {
	for _, sess := range sessions {
		if err := a.store.DeleteSession(ctx, sess.ID); err != nil && !errors.Is(err, core.ErrNotFound) {
			return fmt.Errorf("deleting session %s: %w", sess.ID, err)
		}
		a.Revoke(ctx, core.Revocation{SessionID: sess.ID, UserID: sess.UserID})
	}
	return nil
}

// RevokeSessions forgets deleted sessions in every cache.
func (a *Accounts) RevokeSessions(ctx context.Context, ended []*core.Session) {
	for _, sess := range ended {
		a.Revoke(ctx, core.Revocation{SessionID: sess.ID, UserID: sess.UserID})
	}
}

// accessedThrottle is how stale a user's accessedAt may get: the API
// writes it at most once per period per user, not on every request.
const accessedThrottle = time.Hour

// NoteAccess records that p used the API, when its accessedAt is older
// than accessedThrottle, and returns the principal to serve the request
// with: a copy with the new time when one was written (p is a shared,
// read-only snapshot). A failure only costs the record, never the request.
func (a *Accounts) NoteAccess(ctx context.Context, p *verify.Principal) *verify.Principal {
	now := a.Clock()
	if now.Sub(p.User.AccessedAt) < accessedThrottle {
		return p
	}
	if !a.TouchUser(ctx, p.User.ID, now) {
		return p
	}
	u := *p.User
	u.AccessedAt = now
	cp := *p
	cp.User = &u
	return &cp
}

// TouchUser writes the user's accessedAt (throttled in the store too, so
// instances racing write once) and drops the cached copies that carry the
// old time. It reports whether it wrote.
func (a *Accounts) TouchUser(ctx context.Context, userID string, now time.Time) bool {
	wrote, err := a.store.TouchUser(ctx, userID, now, accessedThrottle)
	if err != nil {
		a.log.Warn("recording user access", "user", userID, "error", err)
		return false
	}
	if wrote {
		a.Revoke(ctx, core.Revocation{UserID: userID})
	}
	return wrote
}

// Revoke forgets cached credentials here at once, in the shared cache,
// and on every other instance through the revocation channel.
func (a *Accounts) Revoke(ctx context.Context, r core.Revocation) {
	a.ApplyRevocation(r)
	a.verifier.Publish(ctx, r)
}

// ApplyRevocation handles a revocation from any instance.
func (a *Accounts) ApplyRevocation(r core.Revocation) {
	a.observeRevocation(r)
	a.verifier.Drop(r)
}

// Resync runs when the revocation channel is (re)established: messages
// sent while it was down are lost, so the verifier and the listeners
// forget what they cached.
func (a *Accounts) Resync() {
	a.log.Info("revocation channel (re)established: local cache cleared")
	a.verifier.Resync()
}

// observeRevocation reports how long a published revocation took to
// arrive. Local revocations carry no time and are not reported.
func (a *Accounts) observeRevocation(r core.Revocation) {
	if r.SentAt == 0 {
		return
	}
	lag := max(0, a.now().Sub(time.UnixMilli(r.SentAt)))
	a.cfg.Observer.Observe(context.Background(), core.Event{Kind: core.EventRevocationLag, Duration: lag})
}

// EndOtherSessions deletes every session of the user but keep through tx
// and returns them, for RevokeSessions once tx has committed.
func EndOtherSessions(ctx context.Context, tx core.Store, userID, keep string) ([]*core.Session, error) {
	all, err := tx.UserSessions(ctx, userID)
	if err != nil {
		return nil, err
	}
	var ended []*core.Session
	for _, sess := range all {
		if sess.ID == keep {
			continue
		}
		if err := tx.DeleteSession(ctx, sess.ID); err != nil && !errors.Is(err, core.ErrNotFound) {
			return nil, fmt.Errorf("deleting session %s: %w", sess.ID, err)
		}
		ended = append(ended, sess)
	}
	return ended, nil
}

package account

import (
	"context"
	"errors"
	"fmt"
	"github.com/accountgate/accountgate/account/verify"
	"net/http"

	"github.com/accountgate/accountgate/account/core"
)

// Authenticate resolves the caller of r as the API does (see
// verify.Verifier.Authenticate).
func (s *Service) Authenticate(r *http.Request) (*verify.Principal, error) {
	return s.verifier.Authenticate(r)
}

// newSessionInput describes a sign-in.
type newSessionInput struct {
	user        *core.User
	provider    string
	providerUID string
	r           *http.Request
	// tokens are the provider's tokens, sealed, for OAuth2 sessions.
	tokens sealedTokens
}

// createSession stores a new session for in.user, prunes the user's oldest
// sessions beyond MaxSessions, and returns the session and its secret.
func (s *Service) createSession(ctx context.Context, in newSessionInput) (*core.Session, string, error) {
	var ns newSession
	err := s.store.WithTx(ctx, func(tx core.Store) (err error) {
		ns, err = s.createSessionIn(ctx, tx, in)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	s.revokePruned(ctx, ns)
	return ns.sess, ns.secret, nil
}

// newSession is what createSessionIn made: the session, its secret, and
// the sessions it pruned, to revoke once the transaction commits.
type newSession struct {
	sess   *core.Session
	secret string
	pruned []*core.Session
}

// createSessionIn is createSession inside the caller's transaction tx.
func (s *Service) createSessionIn(ctx context.Context, tx core.Store, in newSessionInput) (newSession, error) {
	now := s.clock()
	secret := core.NewSecret()
	hash := core.HashSecret(secret)
	info := s.clientInfo(s.cfg.ClientIP(in.r), in.r.UserAgent())
	sess := &core.Session{
		ID:                        core.NewID(now),
		UserID:                    in.user.ID,
		CreatedAt:                 now,
		Expire:                    now.Add(s.cfg.SessionDuration),
		Provider:                  in.provider,
		ProviderUID:               in.providerUID,
		ProviderAccessToken:       in.tokens.access,
		ProviderRefreshToken:      in.tokens.refresh,
		ProviderAccessTokenExpiry: in.tokens.expiry,
		SecretHash:                hash[:],
		IP:                        info.IP,
		UserAgent:                 info.userAgent,
		CountryCode:               info.country,
		Device:                    info.device,
	}
	if err := tx.CreateSession(ctx, sess); err != nil {
		return newSession{}, fmt.Errorf("creating session: %w", err)
	}
	all, err := tx.UserSessions(ctx, in.user.ID)
	if err != nil {
		return newSession{}, fmt.Errorf("listing sessions: %w", err)
	}
	var pruned []*core.Session
	for i := 0; i < len(all)-s.cfg.MaxSessions; i++ {
		if err := tx.DeleteSession(ctx, all[i].ID); err != nil && !errors.Is(err, core.ErrNotFound) {
			return newSession{}, fmt.Errorf("pruning session: %w", err)
		}
		pruned = append(pruned, all[i])
	}
	return newSession{sess: sess, secret: secret, pruned: pruned}, nil
}

// revokePruned forgets the sessions a committed createSessionIn pruned,
// and records the sign-in as an access (accessedAt, throttled like any).
func (s *Service) revokePruned(ctx context.Context, ns newSession) {
	for _, p := range ns.pruned {
		s.revoke(ctx, core.Revocation{SessionID: p.ID, UserID: p.UserID})
	}
	s.touchUser(ctx, ns.sess.UserID, ns.sess.CreatedAt)
}

// deleteSessions removes sessions and forgets them in the cache at once.
func (s *Service) deleteSessions(ctx context.Context, sessions ...*core.Session) error {
	for _, sess := range sessions {
		if err := s.store.DeleteSession(ctx, sess.ID); err != nil && !errors.Is(err, core.ErrNotFound) {
			return fmt.Errorf("deleting session %s: %w", sess.ID, err)
		}
		s.revoke(ctx, core.Revocation{SessionID: sess.ID, UserID: sess.UserID})
	}
	return nil
}

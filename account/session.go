package account

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Principal is a verified caller: the session it presented and its user.
// Both are read-only snapshots shared with the cache.
type Principal struct {
	User    *User
	Session *SessionRef
	// ViaJWT says the caller presented a JWT, not the session secret: it
	// has no "current" session (facts §2.7).
	ViaJWT bool
	// BearerJWT says the JWT came in Authorization: Bearer (at the gate),
	// so that header is a credential to strip too.
	BearerJWT bool
	// MFAPending says the account has MFA on and the session has not
	// proved its second factor yet (mfa_enforce.go).
	MFAPending bool
}

// credential finds the session token of a request, in Appwrite's order:
// the cookie, its legacy twin, X-Appwrite-Session, then X-Fallback-Cookies.
func (s *Service) credential(r *http.Request) (tok sessionToken, ok bool) {
	for _, legacy := range [2]bool{false, true} {
		if v, found := cookieValue(r.Header["Cookie"], s.cookies.name, legacy); found {
			if tok, ok = decodeSessionToken(v); ok {
				return tok, true
			}
		}
	}
	if v := r.Header.Get(headerSession); v != "" {
		if tok, ok = decodeSessionToken(v); ok {
			return tok, true
		}
	}
	if v, found := decodeFallbackCookies(r.Header.Get(headerFallback), s.cookies.name); found {
		return decodeSessionToken(v)
	}
	return tok, false
}

// Request headers in canonical form: http.Header.Get canonicalises its
// argument, which costs an allocation for any other spelling.
const (
	headerJWT      = "X-Appwrite-Jwt"
	headerSession  = "X-Appwrite-Session"
	headerFallback = "X-Fallback-Cookies"
)

// cookieValue finds the cookie name (or name_legacy) in the Cookie header
// lines without the allocations of http.Request.Cookie.
func cookieValue(lines []string, name string, legacy bool) (string, bool) {
	for _, line := range lines {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || !strings.HasPrefix(k, name) {
				continue
			}
			if rest := k[len(name):]; (legacy && rest == "_legacy") || (!legacy && rest == "") {
				if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
					v = v[1 : len(v)-1]
				}
				return v, true
			}
		}
	}
	return "", false
}

// Authenticate resolves the caller of r as the API does: the session
// token, which a non-empty X-Appwrite-JWT replaces. No credentials, an
// unknown or expired session, or a token whose user id does not match all
// give (nil, nil): a guest. A JWT that does not verify is a
// user_jwt_invalid error; other errors are technical failures. Blocked
// users are returned as they are; callers decide (Principal.User.Status).
func (s *Service) Authenticate(r *http.Request) (*Principal, error) {
	var p *Principal
	if tok, ok := s.credential(r); ok {
		var err error
		if p, err = s.verify(r.Context(), tok); err != nil {
			return nil, err
		}
	}
	if token := r.Header.Get(headerJWT); token != "" {
		return s.verifyJWT(r.Context(), token)
	}
	return p, nil
}

// verify checks a session token: on the hot path a cache hit, which
// allocates nothing; else the store.
func (s *Service) verify(ctx context.Context, tok sessionToken) (*Principal, error) {
	hash := hashSecret(tok.Secret)
	now := s.now()
	if p := s.lookupVerified(ctx, hash, now, false); p != nil {
		if p.Session.UserID != tok.ID {
			return nil, nil
		}
		return p, nil
	}
	return s.verifyInStore(ctx, tok, hash, now)
}

// verifyInStore is verify's cache miss. It takes the hash by value so that
// verify's copy stays on the stack.
func (s *Service) verifyInStore(ctx context.Context, tok sessionToken, hash [32]byte, now time.Time) (*Principal, error) {
	sess, err := s.store.SessionBySecretHash(ctx, hash[:])
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading session: %w", err)
	}
	// The lookup was by hash; compare again in constant time so that no
	// store-specific comparison decides alone.
	if subtle.ConstantTimeCompare(sess.SecretHash, hash[:]) != 1 || sess.UserID != tok.ID || !now.Before(sess.Expire) {
		return nil, nil
	}
	user, err := s.store.UserByID(ctx, sess.UserID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading user: %w", err)
	}
	return s.verified(ctx, hash, sess, user, now, sess.Expire, false)
}

// newSessionInput describes a sign-in.
type newSessionInput struct {
	user        *User
	provider    string
	providerUID string
	r           *http.Request
	// tokens are the provider's tokens, sealed, for OAuth2 sessions.
	tokens sealedTokens
}

// createSession stores a new session for in.user, prunes the user's oldest
// sessions beyond MaxSessions, and returns the session and its secret.
func (s *Service) createSession(ctx context.Context, in newSessionInput) (*Session, string, error) {
	var ns newSession
	err := s.store.WithTx(ctx, func(tx Store) (err error) {
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
	sess   *Session
	secret string
	pruned []*Session
}

// createSessionIn is createSession inside the caller's transaction tx.
func (s *Service) createSessionIn(ctx context.Context, tx Store, in newSessionInput) (newSession, error) {
	now := s.clock()
	secret := newSecret()
	hash := hashSecret(secret)
	info := s.clientInfo(s.cfg.ClientIP(in.r), in.r.UserAgent())
	sess := &Session{
		ID:                        newID(now),
		UserID:                    in.user.ID,
		CreatedAt:                 now,
		Expire:                    now.Add(s.cfg.SessionDuration),
		Provider:                  in.provider,
		ProviderUID:               in.providerUID,
		ProviderAccessToken:       in.tokens.access,
		ProviderRefreshToken:      in.tokens.refresh,
		ProviderAccessTokenExpiry: in.tokens.expiry,
		SecretHash:                hash[:],
		IP:                        info.ip,
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
	var pruned []*Session
	for i := 0; i < len(all)-s.cfg.MaxSessions; i++ {
		if err := tx.DeleteSession(ctx, all[i].ID); err != nil && !errors.Is(err, ErrNotFound) {
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
		s.revoke(ctx, Revocation{SessionID: p.ID, UserID: p.UserID})
	}
	s.touchUser(ctx, ns.sess.UserID, ns.sess.CreatedAt)
}

// deleteSessions removes sessions and forgets them in the cache at once.
func (s *Service) deleteSessions(ctx context.Context, sessions ...*Session) error {
	for _, sess := range sessions {
		if err := s.store.DeleteSession(ctx, sess.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("deleting session %s: %w", sess.ID, err)
		}
		s.revoke(ctx, Revocation{SessionID: sess.ID, UserID: sess.UserID})
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

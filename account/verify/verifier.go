package verify

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// Principal is a verified caller: the session it presented and its user.
// Both are read-only snapshots shared with the cache.
type Principal struct {
	User    *core.User
	Session *SessionRef
	// ViaJWT says the caller presented a JWT, not the session secret: it
	// has no "current" session (facts §2.7).
	ViaJWT bool
	// BearerJWT says the JWT came in Authorization: Bearer (at the gate),
	// so that header is a credential to strip too.
	BearerJWT bool
	// MFAPending says the account has MFA on and the session has not
	// proved its second factor yet: it is half signed in.
	MFAPending bool
}

// Store is what verifying reads: sessions, their users and, for the MFA
// check, the account's second-factor state.
type Store interface {
	SessionBySecretHash(ctx context.Context, hash []byte) (*core.Session, error)
	SessionByID(ctx context.Context, id string) (*core.Session, error)
	UserByID(ctx context.Context, id string) (*core.User, error)
	MFAOf(ctx context.Context, userID string) (*core.MFAState, error)
	SessionFactors(ctx context.Context, sessionID string) ([]string, time.Time, error)
}

// Config configures a Verifier. Every field but SharedCache, Revocations
// and OnCache is required.
type Config struct {
	Store Store
	// Secrets are the project secrets, current first: JWTs are signed with
	// the first and verified with any.
	Secrets [][]byte
	// CookieName is the session cookie's name (its twin adds "_legacy").
	CookieName string
	// CacheSize bounds the local cache; zero or negative disables it.
	CacheSize int
	// CacheTTL is how long a verified credential is trusted unread.
	CacheTTL    time.Duration
	SharedCache core.SharedCache
	Revocations core.Revocations
	Now         func() time.Time
	Log         *slog.Logger
	// OnCache hears every cache lookup: "local_hit", "shared_hit" or
	// "miss".
	OnCache func(ctx context.Context, result string)
}

// Verifier turns the credentials of a request (session cookie or secret,
// JWT) into a Principal, through a bounded local cache and an optional
// shared one, and forgets what revocations name. The API and the gate
// share one.
type Verifier struct {
	cfg   Config
	keys  keyring
	cache *sessionCache
	// listeners hear revocations too (feature packages' caches).
	listeners revocationListeners
	// sharedAfter (unix ns) is when the shared cache may be trusted again
	// after the revocation channel came back.
	sharedAfter atomic.Int64
}

// New returns a Verifier for cfg.
func New(cfg Config) *Verifier {
	if cfg.OnCache == nil {
		cfg.OnCache = func(context.Context, string) {}
	}
	return &Verifier{cfg: cfg, keys: newKeyring(cfg.Secrets...), cache: newSessionCache(cfg.CacheSize, cfg.CacheTTL)}
}

// The gate's hot path, top to bottom: Gate → gateAuthenticate →
// Authenticate → credential → verifySecret → lookup (a cache hit ends it
// without allocating) or verifyInStore → verified → store.

// Gate is the gate's decision for r: the principal, or the error to send
// (401 general_unauthorized_scope without a valid session, 401
// user_blocked for a blocked user, 401 user_more_factors_required for a
// half-signed-in session, 5xx when the store fails).
func (v *Verifier) Gate(r *http.Request) (*Principal, *core.Error) {
	p, err := v.gateAuthenticate(r)
	if err != nil {
		e := core.AsError(err)
		if e.Status() >= 500 {
			v.cfg.Log.Error("gate: verifying session", "path", r.URL.Path, "error", err)
		}
		return nil, e
	}
	if p == nil {
		return nil, core.Errorf(core.ErrGeneralUnauthorizedScope, "User (role: guests) missing scope (account)")
	}
	if !p.User.Status {
		return nil, core.NewError(core.ErrUserBlocked)
	}
	if p.MFAPending {
		return nil, core.NewError(core.ErrUserMoreFactorsRequired)
	}
	return p, nil
}

// gateAuthenticate is Authenticate plus Authorization: Bearer. A Bearer
// token that is not ours (not a JWT, or signed by someone else) belongs
// to the upstream and is left alone.
func (v *Verifier) gateAuthenticate(r *http.Request) (*Principal, error) {
	if r.Header.Get(headerJWT) != "" {
		return v.Authenticate(r)
	}
	p, err := v.Authenticate(r)
	if err != nil {
		return nil, err
	}
	auth := r.Header.Get("Authorization")
	if len(auth) < 7 || !strings.EqualFold(auth[:7], "Bearer ") {
		return p, nil
	}
	fromJWT, err := v.JWT(r.Context(), strings.TrimSpace(auth[7:]))
	if errors.Is(err, errJWTNotOurs) {
		return p, nil
	}
	if err != nil || fromJWT == nil {
		return fromJWT, err
	}
	bearer := *fromJWT
	bearer.BearerJWT = true
	return &bearer, nil
}

// Authenticate resolves the caller of r as the API does: the session
// token, which a non-empty X-Appwrite-JWT replaces. No credentials, an
// unknown or expired session, or a token whose user id does not match all
// give (nil, nil): a guest. A JWT that does not verify is a
// user_jwt_invalid error; other errors are technical failures. Blocked
// users are returned as they are; callers decide (Principal.User.Status).
func (v *Verifier) Authenticate(r *http.Request) (*Principal, error) {
	var p *Principal
	if tok, ok := v.Credential(r); ok {
		var err error
		if p, err = v.verifySecret(r.Context(), tok); err != nil {
			return nil, err
		}
	}
	if token := r.Header.Get(headerJWT); token != "" {
		return v.JWT(r.Context(), token)
	}
	return p, nil
}

// Request headers in canonical form: http.Header.Get canonicalises its
// argument, which costs an allocation for any other spelling.
const (
	headerJWT      = "X-Appwrite-Jwt"
	headerSession  = "X-Appwrite-Session"
	headerFallback = "X-Fallback-Cookies"
)

// Credential finds the session token of a request, in Appwrite's order:
// the cookie, its legacy twin, X-Appwrite-Session, then X-Fallback-Cookies.
func (v *Verifier) Credential(r *http.Request) (tok Token, ok bool) {
	for _, legacy := range [2]bool{false, true} {
		if val, found := CookieValue(r.Header["Cookie"], v.cfg.CookieName, legacy); found {
			if tok, ok = DecodeToken(val); ok {
				return tok, true
			}
		}
	}
	if val := r.Header.Get(headerSession); val != "" {
		if tok, ok = DecodeToken(val); ok {
			return tok, true
		}
	}
	if val, found := decodeFallbackCookies(r.Header.Get(headerFallback), v.cfg.CookieName); found {
		return DecodeToken(val)
	}
	return tok, false
}

// CookieValue finds the cookie name (or name_legacy) in the Cookie header
// lines without the allocations of http.Request.Cookie.
func CookieValue(lines []string, name string, legacy bool) (string, bool) {
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

// verifySecret checks a session token: on the hot path a cache hit, which
// allocates nothing; else the store.
func (v *Verifier) verifySecret(ctx context.Context, tok Token) (*Principal, error) {
	hash := core.HashSecret(tok.Secret)
	now := v.cfg.Now()
	if p := v.lookup(ctx, hash, now, false); p != nil {
		if p.Session.UserID != tok.ID {
			return nil, nil
		}
		return p, nil
	}
	return v.verifyInStore(ctx, tok, hash, now)
}

// verifyInStore is verifySecret's cache miss. It takes the hash by value
// so that verifySecret's copy stays on the stack.
func (v *Verifier) verifyInStore(ctx context.Context, tok Token, hash [32]byte, now time.Time) (*Principal, error) {
	sess, err := v.cfg.Store.SessionBySecretHash(ctx, hash[:])
	if errors.Is(err, core.ErrNotFound) {
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
	user, err := v.userOf(ctx, sess)
	if user == nil || err != nil {
		return nil, err
	}
	return v.verified(ctx, hash, sess, user, now, sess.Expire, false)
}

// userOf loads the user of sess; nil when it is gone (a guest).
func (v *Verifier) userOf(ctx context.Context, sess *core.Session) (*core.User, error) {
	user, err := v.cfg.Store.UserByID(ctx, sess.UserID)
	if errors.Is(err, core.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading user: %w", err)
	}
	return user, nil
}

// JWT resolves a JWT to its session and user. A token that does not
// verify is an error (user_jwt_invalid); a valid token whose session is
// gone or expired is a guest (nil, nil), as Appwrite does.
func (v *Verifier) JWT(ctx context.Context, token string) (*Principal, error) {
	key := jwtCacheKey(token)
	now := v.cfg.Now()
	if p := v.lookup(ctx, key, now, true); p != nil {
		return p, nil
	}
	claims, err := v.keys.verify(token, now)
	if err != nil {
		return nil, jwtError(err)
	}
	sess, err := v.cfg.Store.SessionByID(ctx, claims.SessionID)
	if errors.Is(err, core.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading session: %w", err)
	}
	if sess.UserID != claims.UserID || !now.Before(sess.Expire) {
		return nil, nil
	}
	user, err := v.userOf(ctx, sess)
	if user == nil || err != nil {
		return nil, err
	}
	expiry := claims.ExpiresAt.Add(jwtLeeway)
	if sess.Expire.Before(expiry) {
		expiry = sess.Expire
	}
	return v.verified(ctx, key, sess, user, now, expiry, true)
}

// lookup finds a verified credential in the local cache, then in the
// shared one (filling the local cache from it), and returns its read-only
// Principal.
func (v *Verifier) lookup(ctx context.Context, key cacheKey, now time.Time, viaJWT bool) *Principal {
	trusted := v.Trusted()
	if trusted {
		// Key spaces are apart already (jwtCacheKey); the kind is checked
		// too, so that no entry ever serves the other kind.
		if e := v.cache.get(key, now); e != nil && e.principal.ViaJWT == viaJWT {
			v.cfg.OnCache(ctx, "local_hit")
			return &e.principal
		}
	}
	sc := v.cfg.SharedCache
	if sc == nil || !trusted || now.UnixNano() < v.sharedAfter.Load() {
		v.cfg.OnCache(ctx, "miss")
		return nil
	}
	sess, user, err := sc.GetVerified(ctx, key)
	if err != nil {
		if !errors.Is(err, core.ErrNotFound) {
			v.cfg.Log.Debug("shared cache unavailable", "error", err)
		}
		v.cfg.OnCache(ctx, "miss")
		return nil
	}
	if !now.Before(sess.Expire) {
		v.cfg.OnCache(ctx, "miss")
		return nil
	}
	v.cfg.OnCache(ctx, "shared_hit")
	return v.cache.put(key, sess, user, now, sess.Expire, viaJWT)
}

// verified is store for a credential just checked against the store,
// unless its session is half signed in: that one is returned uncached and
// marked, so the store decides on every request until the second factor.
func (v *Verifier) verified(ctx context.Context, key cacheKey, sess *core.Session, user *core.User, now, expiry time.Time, viaJWT bool) (*Principal, error) {
	pending, err := v.mfaPending(ctx, sess)
	if err != nil {
		return nil, fmt.Errorf("loading the session's factors: %w", err)
	}
	if pending {
		ref := refOf(sess)
		return &Principal{User: trimUser(user), Session: &ref, ViaJWT: viaJWT, MFAPending: true}, nil
	}
	return v.store(ctx, key, sess, user, now, expiry, viaJWT), nil
}

// mfaPending reports whether sess still needs a second factor: MFA is on
// for its user and the session has proved fewer than two distinct
// factors.
func (v *Verifier) mfaPending(ctx context.Context, sess *core.Session) (bool, error) {
	m, err := v.cfg.Store.MFAOf(ctx, sess.UserID)
	if errors.Is(err, core.ErrNotFound) {
		return false, nil
	}
	if err != nil || !m.Enabled {
		return false, err
	}
	extra, _, err := v.cfg.Store.SessionFactors(ctx, sess.ID)
	if err != nil {
		return false, err
	}
	all := append(core.SignInFactors(sess.Provider), extra...)
	slices.Sort(all)
	return len(slices.Compact(all)) < 2, nil
}

// store caches a credential verified against the store, here and in the
// shared cache, and returns its Principal. Only trimmed records are
// cached: no password hash ever reaches the shared cache.
func (v *Verifier) store(ctx context.Context, key cacheKey, sess *core.Session, user *core.User, now, expiry time.Time, viaJWT bool) *Principal {
	if !v.Trusted() {
		ref := refOf(sess)
		return &Principal{User: trimUser(user), Session: &ref, ViaJWT: viaJWT}
	}
	p := v.cache.put(key, sess, user, now, expiry, viaJWT)
	if sc := v.cfg.SharedCache; sc != nil {
		ttl := min(v.cfg.CacheTTL, expiry.Sub(now))
		if ttl > 0 {
			if err := sc.PutVerified(ctx, key, sess, p.User, ttl); err != nil {
				v.cfg.Log.Debug("shared cache unavailable", "error", err)
			}
		}
	}
	return p
}

package assertion

import (
	"errors"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/verify"
)

const (
	// DefaultLifetime is an assertion's lifetime unless a gate sets one.
	DefaultLifetime = 5 * time.Minute
	// MinLifetime and MaxLifetime bound a gate's lifetime: long enough to
	// be reused, short enough that Overlap covers it many times over.
	MinLifetime = 30 * time.Second
	MaxLifetime = 15 * time.Minute
	// DefaultCacheSize bounds the assertions an Issuer keeps (about
	// 700 bytes each).
	DefaultCacheSize = 20000
)

// Issuer hands out the assertions of one gate (one audience). Signing
// costs far more than the rest of a gated request, so an assertion is
// kept per session and reused until half its lifetime has passed: an
// upstream always receives one valid for at least half the lifetime.
type Issuer struct {
	keys     *Keys
	audience string
	lifetime time.Duration
	max      int

	mu      sync.RWMutex
	entries map[entryKey]*entry
}

// entryKey names a session (a JWT without a session: its user alone).
type entryKey struct{ userID, sessionID string }

// entry is a signed assertion and what it says, to tell whether it is
// still the principal's.
type entry struct {
	token  string
	kid    string
	renew  time.Time // half its lifetime
	email  string
	name   string
	emailV bool
	phoneV bool
}

// NewIssuer returns an issuer for audience signing with keys; lifetime 0
// is DefaultLifetime, cacheSize 0 is DefaultCacheSize.
func NewIssuer(keys *Keys, audience string, lifetime time.Duration, cacheSize int) *Issuer {
	if lifetime == 0 {
		lifetime = DefaultLifetime
	}
	if cacheSize <= 0 {
		cacheSize = DefaultCacheSize
	}
	return &Issuer{keys: keys, audience: audience, lifetime: lifetime, max: cacheSize, entries: make(map[entryKey]*entry)}
}

var errNoKey = errors.New("no assertion signing key loaded")

// Assertion returns the assertion for p at now: the cached one while it
// is fresh, signed by the current key and says what p says; else a new
// one. It allocates nothing on a cache hit.
func (i *Issuer) Assertion(p *verify.Principal, now time.Time) (string, error) {
	st := i.keys.state.Load()
	if st == nil {
		return "", errNoKey
	}
	k := keyOf(p)
	i.mu.RLock()
	e := i.entries[k]
	i.mu.RUnlock()
	if e != nil && now.Before(e.renew) && e.kid == st.kid && e.says(p.User) {
		return e.token, nil
	}
	e, err := i.sign(st, p, now)
	if err != nil {
		return "", err
	}
	i.mu.Lock()
	if _, ok := i.entries[k]; !ok && len(i.entries) >= i.max {
		// Full: one random entry goes (map order is random); a busy
		// session soon earns its place back.
		for old := range i.entries {
			delete(i.entries, old)
			break
		}
	}
	i.entries[k] = e
	i.mu.Unlock()
	return e.token, nil
}

func keyOf(p *verify.Principal) entryKey {
	if p.Session != nil {
		return entryKey{p.User.ID, p.Session.ID}
	}
	return entryKey{userID: p.User.ID}
}

func (e *entry) says(u *core.User) bool {
	return e.email == u.Email && e.name == u.Name && e.emailV == u.EmailVerification && e.phoneV == u.PhoneVerification
}

// Claims are an assertion's claims.
type Claims struct {
	Subject       string `json:"sub"`
	Audience      string `json:"aud"`
	Email         string `json:"email"`
	Name          string `json:"name"`
	EmailVerified bool   `json:"email_verified"`
	PhoneVerified bool   `json:"phone_verified"`
	// SessionID is "" for a JWT that names no session.
	SessionID string `json:"sid"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
}

// The jwt.Claims methods, for signing and for verifying in tests.
func (c Claims) GetExpirationTime() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.ExpiresAt, 0)), nil
}
func (c Claims) GetIssuedAt() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.IssuedAt, 0)), nil
}
func (c Claims) GetNotBefore() (*jwt.NumericDate, error) { return nil, nil }
func (c Claims) GetIssuer() (string, error)              { return "", nil }
func (c Claims) GetSubject() (string, error)             { return c.Subject, nil }
func (c Claims) GetAudience() (jwt.ClaimStrings, error)  { return jwt.ClaimStrings{c.Audience}, nil }

func (i *Issuer) sign(st *keyState, p *verify.Principal, now time.Time) (*entry, error) {
	u := p.User
	c := Claims{Subject: u.ID, Audience: i.audience, Email: u.Email, Name: u.Name,
		EmailVerified: u.EmailVerification, PhoneVerified: u.PhoneVerification,
		IssuedAt: now.Unix(), ExpiresAt: now.Add(i.lifetime).Unix()}
	if p.Session != nil {
		c.SessionID = p.Session.ID
	}
	t := jwt.NewWithClaims(jwt.SigningMethodES256, c)
	t.Header["kid"] = st.kid
	token, err := t.SignedString(st.signer)
	if err != nil {
		return nil, err
	}
	return &entry{token: token, kid: st.kid, renew: now.Add(i.lifetime / 2),
		email: u.Email, name: u.Name, emailV: u.EmailVerification, phoneV: u.PhoneVerification}, nil
}

// Forget drops the assertions of a revoked session, or of every session
// of a user (r with UserID alone), so they are neither kept nor reused.
func (i *Issuer) Forget(r core.Revocation) {
	if r.SessionID == "" && r.UserID == "" {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if r.SessionID != "" {
		delete(i.entries, entryKey{r.UserID, r.SessionID})
		return
	}
	for k := range i.entries {
		if k.userID == r.UserID {
			delete(i.entries, k)
		}
	}
}

// Clear drops every assertion (revocations may have been lost).
func (i *Issuer) Clear() {
	i.mu.Lock()
	defer i.mu.Unlock()
	clear(i.entries)
}

// Len says how many assertions are kept.
func (i *Issuer) Len() int {
	i.mu.RLock()
	defer i.mu.RUnlock()
	return len(i.entries)
}

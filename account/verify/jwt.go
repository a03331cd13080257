package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/golang-jwt/jwt/v5"
)

// JWTLifetime and jwtLeeway are Appwrite's: tokens live 15 minutes and are
// accepted 10 seconds past their expiry.
const (
	JWTLifetime = 15 * time.Minute
	jwtLeeway   = 10 * time.Second
)

// jwtKey is one HS256 key of the keyring, named by its kid.
type jwtKey struct {
	id     string
	secret []byte
}

// keyring signs with its first key and verifies with any, so the project
// secret can be rotated while tokens signed with the old one still live.
type keyring []jwtKey

// newKeyring derives one JWT key per project secret, current first. The
// key is an HMAC of the secret rather than the secret itself, so the
// secret's other uses never share a key with JWTs.
func newKeyring(secrets ...[]byte) keyring {
	var ring keyring
	for _, s := range secrets {
		if len(s) == 0 {
			continue
		}
		mac := hmac.New(sha256.New, s)
		mac.Write([]byte("accountgate jwt v1"))
		key := mac.Sum(nil)
		id := sha256.Sum256(key)
		ring = append(ring, jwtKey{id: hex.EncodeToString(id[:8]), secret: key})
	}
	return ring
}

// jwtClaims are Appwrite's: userId, sessionId and exp.
type jwtClaims struct {
	UserID    string `json:"userId"`
	SessionID string `json:"sessionId"`
	jwt.RegisteredClaims
}

// signFor signs a token that expires lifetime after now.
func (k keyring) signFor(userID, sessionID string, now time.Time, lifetime time.Duration) (string, error) {
	claims := jwtClaims{UserID: userID, SessionID: sessionID,
		RegisteredClaims: jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(now.Add(lifetime))}}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["kid"] = k[0].id
	return tok.SignedString(k[0].secret)
}

// jwtReason is why a token of ours was refused, worded for the client
// (it follows "Failed to verify JWT. ").
type jwtReason string

func (r jwtReason) Error() string { return string(r) }

// errJWTNotOurs marks a token that no key of ours signed (or that is no
// JWT at all), so the gate can leave a foreign Bearer token alone.
var errJWTNotOurs = errors.New("not signed by this project")

// verify parses a token and returns its claims. Errors carry a reason fit
// for the client ("Failed to verify JWT. <reason>") and wrap
// errJWTNotOurs unless one of our keys signed the token.
func (k keyring) verify(token string, now time.Time) (*jwtClaims, error) {
	notOurs := func(reason string) error { return fmt.Errorf("%s%w", reason, errJWTNotOurs) }
	if len(token) > 4096 {
		return nil, notOurs("Invalid token: Too long")
	}
	var claims jwtClaims
	parsed, err := jwt.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		for _, key := range k {
			if kid == "" || kid == key.id {
				return key.secret, nil
			}
		}
		return nil, errJWTNotOurs
	}, jwt.WithValidMethods([]string{"HS256"}), jwt.WithLeeway(jwtLeeway), jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return now }))
	// golang-jwt checks the signature before the claims, so an expired
	// token or one without our claims was still signed by us.
	switch {
	case err == nil && parsed.Valid && claims.UserID != "" && claims.SessionID != "":
		return &claims, nil
	case err == nil:
		return nil, jwtReason("Invalid token: Missing claims")
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, jwtReason("Invalid token: Expired")
	case errors.Is(err, jwt.ErrTokenMalformed):
		return nil, notOurs("Invalid token: Incomplete segments")
	case errors.Is(err, jwt.ErrTokenInvalidClaims):
		return nil, jwtReason("Invalid token: Invalid claims")
	}
	return nil, notOurs("Invalid token: Signature failed")
}

// jwtError is the API's answer to a JWT that does not verify; the reason
// stays reachable with errors.Is.
func jwtError(reason error) *core.Error {
	msg := strings.TrimSuffix(reason.Error(), errJWTNotOurs.Error())
	return &core.Error{Type: core.ErrUserJWTInvalid, Message: "Failed to verify JWT. " + msg, Err: reason}
}

// jwtCacheKey is the cache key of a JWT: a hash of the token under a
// prefix, so that JWTs and session secrets (keyed by their plain SHA-256)
// live in separate key spaces and a cached credential of one kind is
// never accepted as the other.
func jwtCacheKey(token string) cacheKey {
	const prefix = "accountgate jwt\x00"
	// A stack copy spares the hot path an allocation, as in hashSecret.
	var buf [1024]byte
	if len(prefix)+len(token) <= len(buf) {
		n := copy(buf[:], prefix)
		n += copy(buf[n:], token)
		return sha256.Sum256(buf[:n])
	}
	return sha256.Sum256([]byte(prefix + token))
}

// SignJWT signs a token for the session sessionID of userID that expires
// lifetime after now (Appwrite's is JWTLifetime).
func (v *Verifier) SignJWT(userID, sessionID string, now time.Time, lifetime time.Duration) (string, error) {
	return v.keys.signFor(userID, sessionID, now, lifetime)
}

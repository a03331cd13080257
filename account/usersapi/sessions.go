package usersapi

import (
	"crypto/rand"
	"errors"
	"net/http"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/domain"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/verify"
)

// usersCreateSession is POST /v1/users/{userId}/sessions (Appwrite 1.5
// on): a session for the user, made by a server without the user's
// credentials. The response carries its secret, the cookie value, for the
// server to hand on; like any session it ends when the user is blocked
// or signed out.
func (s *Users) usersCreateSession(w http.ResponseWriter, r *httpapi.Request) error {
	u, err := s.pathUser(r)
	if err != nil {
		return err
	}
	sess, secret, err := s.CreateSession(r.Context(), domain.NewSessionInput{User: u, Provider: core.ProviderServer, R: r.Request})
	if err != nil {
		return err
	}
	s.ObserveSignIn(r.Request, sess)
	s.AdminAudit(r.Context(), u, "session.create")
	m := s.RenderSession(sess, false)
	m.Secret = verify.EncodeToken(u.ID, secret)
	return httpapi.WriteJSON(w, http.StatusCreated, m)
}

// Appwrite's bounds for POST /v1/users/{userId}/tokens: length in
// characters, expire in seconds (default 15 minutes, at most a year).
const (
	genericTokenMinLength, genericTokenMaxLength, genericTokenLength = 4, 128, 6
	genericTokenMinExpire, genericTokenMaxExpire, genericTokenExpire = 60, 31536000, 900
)

// usersCreateToken is POST /v1/users/{userId}/tokens (Appwrite 1.5 on):
// a single-use secret the server hands to the user, who spends it at
// POST /v1/account/sessions/token. The secret is in the response, and
// stored only hashed.
func (s *Users) usersCreateToken(w http.ResponseWriter, r *httpapi.Request) error {
	length, err := r.Params.Int("length", genericTokenLength, genericTokenMinLength, genericTokenMaxLength)
	if err != nil {
		return err
	}
	expire, err := r.Params.Int("expire", genericTokenExpire, genericTokenMinExpire, genericTokenMaxExpire)
	if err != nil {
		return err
	}
	u, err := s.pathUser(r)
	if err != nil {
		return err
	}
	var tok *core.Token
	secret := ""
	// A short secret may repeat one of the user's outstanding tokens
	// (their hashes are unique): draw again.
	for range 3 {
		secret = newTokenText(length)
		tok = s.NewToken(r, u.ID, "", core.TokenGeneric, time.Duration(expire)*time.Second, secret)
		tok.Target = core.GenericTokenTarget(u.ID)
		if err = s.Store.CreateToken(r.Context(), tok); !errors.Is(err, core.ErrConflict) {
			break
		}
	}
	if err != nil {
		return err
	}
	s.AdminAudit(r.Context(), u, "tokens.create")
	m := httpapi.RenderToken(tok)
	m.Secret = secret
	return httpapi.WriteJSON(w, http.StatusCreated, m)
}

// tokenAlphabet is what server-made token secrets are drawn from.
const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newTokenText returns n characters drawn uniformly from tokenAlphabet
// with crypto/rand (bytes beyond the last whole multiple are dropped).
func newTokenText(n int) string {
	const limit = 256 - 256%len(tokenAlphabet)
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		rand.Read(buf[:])
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, tokenAlphabet[int(b)%len(tokenAlphabet)])
			}
		}
	}
	return string(out)
}

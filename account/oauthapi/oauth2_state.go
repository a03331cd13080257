package oauthapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// oauthStateLifetime bounds a sign-in with a provider (part A item 21).
const oauthStateLifetime = 10 * time.Minute

// oauthState is what the signed `state` parameter carries through the
// provider and back.
type oauthState struct {
	Provider string `json:"p"`
	Success  string `json:"s"`
	Failure  string `json:"f"`
	// Binding is the SHA-256 of the nonce cookie of the browser that
	// started the flow: only that browser can finish it.
	Binding string `json:"b"`
	Expires int64  `json:"e"`
	// Token says the flow ends with a token for POST /sessions/token
	// (GET /tokens/oauth2), not a session cookie.
	Token bool `json:"t,omitempty"`
}

// signState encodes st as base64url(JSON).base64url(HMAC).
func (s *OAuth2) signState(st oauthState) string {
	body, _ := json.Marshal(st)
	b64 := base64.RawURLEncoding.EncodeToString(body)
	return b64 + "." + base64.RawURLEncoding.EncodeToString(s.stateMAC(b64))
}

func (s *OAuth2) stateMAC(body string) []byte {
	mac := hmac.New(sha256.New, s.Secret)
	mac.Write([]byte("accountgate oauth state v1|"))
	mac.Write([]byte(body))
	return mac.Sum(nil)
}

var errBadState = errors.New("the sign-in state is invalid or has expired; please start again")

// openState checks the signature, expiry and browser binding of a state.
func (s *OAuth2) openState(raw, nonceCookie string, now time.Time) (*oauthState, error) {
	body, sig, ok := strings.Cut(raw, ".")
	if !ok || len(raw) > 4096 {
		return nil, errBadState
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.stateMAC(body)) {
		return nil, errBadState
	}
	plain, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, errBadState
	}
	var st oauthState
	if err := json.Unmarshal(plain, &st); err != nil || now.Unix() > st.Expires {
		return nil, errBadState
	}
	want := nonceBinding(nonceCookie)
	if nonceCookie == "" || subtle.ConstantTimeCompare([]byte(want), []byte(st.Binding)) != 1 {
		return nil, errBadState
	}
	return &st, nil
}

func nonceBinding(nonce string) string {
	sum := sha256.Sum256([]byte(nonce))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// derive makes a per-flow secret from the browser nonce: the PKCE
// verifier and the OpenID Connect nonce need no storage this way.
func (s *OAuth2) derive(purpose, nonce string) string {
	mac := hmac.New(sha256.New, s.Secret)
	mac.Write([]byte("accountgate oauth " + purpose + "|" + nonce))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

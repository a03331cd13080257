package oauth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fakeIDP is a minimal OpenID Connect provider on loopback: discovery under
// any prefix, a JWKS with one RSA key, a token endpoint that returns the
// queued ID token, and a userinfo endpoint.
type fakeIDP struct {
	t   *testing.T
	srv *httptest.Server
	key *rsa.PrivateKey
	// docIssuer returns the discovery document's "issuer" for a prefix
	// (e.g. "/common/v2.0").
	docIssuer func(prefix string) string

	mu       sync.Mutex
	idToken  string
	userinfo map[string]any
	forms    []url.Values
}

const testKID = "test-key"

func newFakeIDP(t *testing.T, docIssuer func(base, prefix string) string) *fakeIDP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeIDP{t: t, key: key}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	f.docIssuer = func(prefix string) string { return docIssuer(f.srv.URL, prefix) }
	return f
}

func (f *fakeIDP) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
		prefix := strings.TrimSuffix(r.URL.Path, "/.well-known/openid-configuration")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                f.docIssuer(prefix),
			"authorization_endpoint":                f.srv.URL + prefix + "/authorize",
			"token_endpoint":                        f.srv.URL + "/token",
			"userinfo_endpoint":                     f.srv.URL + "/userinfo",
			"jwks_uri":                              f.srv.URL + "/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	case r.URL.Path == "/keys":
		pub := f.key.PublicKey
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "use": "sig", "alg": "RS256", "kid": testKID,
			"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		}}})
	case r.URL.Path == "/token":
		r.ParseForm()
		f.mu.Lock()
		f.forms = append(f.forms, r.PostForm)
		idt := f.idToken
		f.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{
			"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600,
			"refresh_token": "rt-1", "id_token": idt,
		})
	case r.URL.Path == "/userinfo":
		if r.Header.Get("Authorization") != "Bearer at-1" {
			http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		json.NewEncoder(w).Encode(f.userinfo)
	default:
		http.NotFound(w, r)
	}
}

// sign makes an RS256 JWT with the fake's key.
func (f *fakeIDP) sign(claims jwt.MapClaims) string {
	f.t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = testKID
	s, err := tok.SignedString(f.key)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// queue sets the ID token the next token request returns.
func (f *fakeIDP) queue(claims jwt.MapClaims) {
	s := f.sign(claims)
	f.mu.Lock()
	f.idToken = s
	f.mu.Unlock()
}

func (f *fakeIDP) lastForm() url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.forms) == 0 {
		return nil
	}
	return f.forms[len(f.forms)-1]
}

// idClaimsFor returns valid base claims for aud and iss.
func idClaimsFor(iss, aud, sub, nonce string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"iss": iss, "aud": aud, "sub": sub, "nonce": nonce,
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	}
}

func mustClient(t *testing.T, name string, s Settings) *Client {
	t.Helper()
	p, ok := Lookup(name)
	if !ok {
		t.Fatalf("provider %q not registered", name)
	}
	c, err := NewClient(context.Background(), p, s, "https://app.example.com/v1/account/sessions/oauth2/callback/"+name+"/p1", nil)
	if err != nil {
		t.Fatalf("NewClient(%s): %v", name, err)
	}
	return c
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

package oauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func appleKey(t *testing.T) (*ecdsa.PrivateKey, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return key, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// checkAppleSecret parses a client secret with the public key and checks
// the shape Apple requires.
func checkAppleSecret(t *testing.T, secret string, pub *ecdsa.PublicKey) {
	t.Helper()
	var cl jwt.RegisteredClaims
	tok, err := jwt.ParseWithClaims(secret, &cl, func(tk *jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithAudience("https://appleid.apple.com"),
		jwt.WithIssuer("TEAM123456"), jwt.WithSubject("com.example.web"), jwt.WithIssuedAt(), jwt.WithExpirationRequired())
	if err != nil {
		t.Fatalf("client secret does not verify: %v", err)
	}
	if tok.Header["kid"] != "KEY1234567" || tok.Header["alg"] != "ES256" {
		t.Errorf("header = %v", tok.Header)
	}
	if life := cl.ExpiresAt.Sub(cl.IssuedAt.Time); life <= 0 || life > 15777000*time.Second {
		t.Errorf("lifetime %v, want at most six months", life)
	}
}

func TestAppleClientSecret(t *testing.T) {
	key, pemText := appleKey(t)
	s := Settings{ClientID: "com.example.web", TeamID: "TEAM123456", KeyID: "KEY1234567", PrivateKeyPEM: pemText}
	c := mustClient(t, "apple", s)
	now := time.Now()
	sec, err := c.apple.secret(now)
	if err != nil {
		t.Fatal(err)
	}
	checkAppleSecret(t, sec, &key.PublicKey)
	if again, _ := c.apple.secret(now.Add(time.Minute)); again != sec {
		t.Error("the secret should be reused while fresh")
	}
	if later, _ := c.apple.secret(now.Add(appleSecretTTL)); later == sec {
		t.Error("the secret should be renewed before it expires")
	}

	// A non-P-256 key is refused.
	rsaLike, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(rsaLike)
	s.PrivateKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	p, _ := Lookup("apple")
	if _, err := NewClient(context.Background(), p, s, "https://app.example.com/cb", nil); err == nil {
		t.Error("a P-384 key must be refused")
	}
}

func TestAppleFlow(t *testing.T) {
	key, pemText := appleKey(t)
	f := newFakeIDP(t, func(base, prefix string) string { return base + prefix })
	iss := f.srv.URL + "/apple"
	c := mustClient(t, "apple", Settings{ClientID: "com.example.web", TeamID: "TEAM123456", KeyID: "KEY1234567", PrivateKeyPEM: pemText, Issuer: iss})
	if !c.FormPost() {
		t.Error("apple calls back with a form post")
	}
	raw, err := c.AuthCodeURL(context.Background(), "st", "n-apple", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	q := mustQuery(t, raw)
	if q.Get("response_mode") != "form_post" || q.Get("scope") != "name email" || q.Get("nonce") != "n-apple" || q.Get("code_challenge") != "" {
		t.Errorf("authorize URL = %s", raw)
	}

	cl := idClaimsFor(iss, "com.example.web", "001234.abcd", "n-apple")
	cl["email"], cl["email_verified"] = "x@privaterelay.appleid.com", "true"
	f.queue(cl)
	user := `{"name":{"firstName":"Jane","lastName":"Appleseed"},"email":"spoofed@example.com"}`
	_, id, err := c.Exchange(context.Background(), "code", "", "n-apple", WithAppleUser(user))
	if err != nil {
		t.Fatal(err)
	}
	if id != (Identity{ID: "001234.abcd", Email: "x@privaterelay.appleid.com", Name: "Jane Appleseed", EmailVerified: true}) {
		t.Errorf("identity = %+v", id)
	}
	checkAppleSecret(t, f.lastForm().Get("client_secret"), &key.PublicKey)

	// Later sign-ins have no user field; a malformed one is ignored.
	f.queue(cl)
	if _, id, err = c.Exchange(context.Background(), "code", "", "n-apple", WithAppleUser("{bad")); err != nil || id.Name != "" {
		t.Errorf("without user: %+v, %v", id, err)
	}
}

// Command assertion-verifier is an upstream that trusts no proxy header:
// it believes who is calling only from the X-Account-Assertion that an
// Accountgate gate signs, verified against the project's JWKS. It answers
// every request with the verified identity as JSON, or 401.
//
//	go run ./examples/assertion-verifier -listen 127.0.0.1:3000 \
//		-jwks http://localhost:8080/.well-known/jwks.json -audience http://localhost:8080
//
// Only the standard library and github.com/golang-jwt/jwt/v5.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:3000", "address to serve on")
	jwksURL := flag.String("jwks", "http://localhost:8080/.well-known/jwks.json", "the project's JWKS URL")
	audience := flag.String("audience", "http://localhost:8080", "this site, as the gate's `assertion` names it")
	flag.Parse()

	// The JWKS is fetched when first needed: Caddy may start after us.
	v := &verifier{keys: &keySet{url: *jwksURL}, audience: *audience}
	log.Printf("assertion-verifier on %s, audience %s, keys from %s", *listen, *audience, *jwksURL)
	log.Fatal(http.ListenAndServe(*listen, v))
}

// Claims are what an Accountgate assertion says.
type Claims struct {
	Email         string `json:"email"`
	Name          string `json:"name"`
	EmailVerified bool   `json:"email_verified"`
	PhoneVerified bool   `json:"phone_verified"`
	SessionID     string `json:"sid"`
	jwt.RegisteredClaims
}

type verifier struct {
	keys     *keySet
	audience string
}

// ServeHTTP verifies the assertion and echoes the identity it proves.
func (v *verifier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token := r.Header.Get("X-Account-Assertion")
	if token == "" {
		http.Error(w, "no assertion: this app is only reachable through the gate", http.StatusUnauthorized)
		return
	}
	var c Claims
	var kid string
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ = t.Header["kid"].(string)
		return v.keys.get(r.Context(), kid)
	},
		jwt.WithValidMethods([]string{"ES256"}), // never "none", never HS256 with a public key
		jwt.WithAudience(v.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(5*time.Second), // clocks of the proxy and this host
	)
	if err != nil {
		http.Error(w, "invalid assertion: "+err.Error(), http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"verified": true, "kid": kid, "user": c.Subject, "email": c.Email, "name": c.Name,
		"email_verified": c.EmailVerified, "phone_verified": c.PhoneVerified, "session": c.SessionID,
		"expires": c.ExpiresAt.Time.UTC().Format(time.RFC3339), "path": r.URL.Path,
	})
}

// keySet caches the JWKS. An unknown kid (a rotation) fetches it again,
// at most every refetchAfter; otherwise it is fetched every maxAge.
type keySet struct {
	url string

	mu      sync.Mutex
	keys    map[string]*ecdsa.PublicKey
	fetched time.Time
}

const (
	maxAge       = 5 * time.Minute
	refetchAfter = 2 * time.Second
)

func (s *keySet) get(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	age := time.Since(s.fetched)
	if k, ok := s.keys[kid]; ok && age < maxAge {
		return k, nil
	}
	if s.keys == nil || age >= refetchAfter {
		if err := s.fetch(ctx); err != nil {
			return nil, err
		}
	}
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown key id %q", kid)
}

func (s *keySet) fetch(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("fetching the JWKS: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("fetching the JWKS: %s", res.Status)
	}
	var set struct {
		Keys []struct {
			Kty, Crv, X, Y, Kid, Alg, Use string
		} `json:"keys"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, res.Body, 1<<20)).Decode(&set); err != nil {
		return fmt.Errorf("reading the JWKS: %w", err)
	}
	keys := map[string]*ecdsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "EC" || k.Crv != "P-256" || k.Alg != "ES256" || k.Use != "sig" {
			continue
		}
		pub, err := ecPublic(k.X, k.Y)
		if err != nil {
			return fmt.Errorf("JWKS key %s: %w", k.Kid, err)
		}
		keys[k.Kid] = pub
	}
	s.keys, s.fetched = keys, time.Now()
	return nil
}

// ecPublic builds a P-256 public key from a JWK's coordinates, refusing
// a point that is not on the curve.
func ecPublic(x64, y64 string) (*ecdsa.PublicKey, error) {
	x, err1 := base64.RawURLEncoding.DecodeString(x64)
	y, err2 := base64.RawURLEncoding.DecodeString(y64)
	if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
		return nil, errors.New("bad coordinates")
	}
	// The uncompressed point 0x04 || X || Y; the parser checks that it
	// is on the curve.
	return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
}

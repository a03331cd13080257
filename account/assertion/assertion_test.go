package assertion_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/assertion"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/verify"
	"github.com/accountgate/accountgate/store/sqlite"
)

// clock is a settable clock shared by the keys and the tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a project's store and service, and one started key set.
type fixture struct {
	store *sqlite.Store
	svc   *account.Service
	clock *clock
	keys  *assertion.Keys
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir()+"/keys.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := account.New(ctx, core.Config{ProjectID: "p", Store: st, PublicURL: "http://localhost"})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: st, svc: svc, clock: &clock{t: time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)}}
	f.keys = f.start(t)
	return f
}

// start starts another key set on the fixture's store, as another
// instance would.
func (f *fixture) start(t *testing.T) *assertion.Keys {
	t.Helper()
	k := assertion.NewKeys()
	if err := k.Start(context.Background(), f.config()); err != nil {
		t.Fatal(err)
	}
	return k
}

func (f *fixture) config() assertion.Config {
	return assertion.Config{Store: f.store, Sealer: f.svc.Sealer(assertion.SealPurpose), Now: f.clock.Now}
}

func principal(userID, sessionID string) *verify.Principal {
	return &verify.Principal{
		User:    &core.User{ID: userID, Email: userID + "@example.com", Name: "Ann " + userID, EmailVerification: true},
		Session: &verify.SessionRef{ID: sessionID, UserID: userID, Provider: "email"},
	}
}

// jwks parses a JWKS document into public keys by kid, checking every
// key's alg and use.
func jwks(t *testing.T, doc []byte) map[string]*ecdsa.PublicKey {
	t.Helper()
	var set struct {
		Keys []struct{ Kty, Crv, X, Y, Kid, Alg, Use string }
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatalf("JWKS %s: %v", doc, err)
	}
	keys := map[string]*ecdsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "EC" || k.Crv != "P-256" || k.Alg != "ES256" || k.Use != "sig" || k.Kid == "" {
			t.Fatalf("JWK %+v", k)
		}
		x, err1 := base64.RawURLEncoding.DecodeString(k.X)
		y, err2 := base64.RawURLEncoding.DecodeString(k.Y)
		if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
			t.Fatalf("JWK coordinates %+v", k)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			t.Fatalf("JWK %+v: %v", k, err)
		}
		keys[k.Kid] = pub
	}
	return keys
}

// verifyAssertion checks token as an upstream does: ES256 only, a kid of the
// JWKS, the audience, the expiry at now.
func verifyAssertion(t *testing.T, doc []byte, token, audience string, now time.Time) (*assertion.Claims, string, error) {
	t.Helper()
	keys := jwks(t, doc)
	var c assertion.Claims
	var kid string
	_, err := jwt.ParseWithClaims(token, &c, func(tok *jwt.Token) (any, error) {
		kid, _ = tok.Header["kid"].(string)
		if k, ok := keys[kid]; ok {
			return k, nil
		}
		return nil, errors.New("unknown kid")
	}, jwt.WithValidMethods([]string{"ES256"}), jwt.WithAudience(audience), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithTimeFunc(func() time.Time { return now }))
	return &c, kid, err
}

func TestAssertionVerifiesAgainstJWKS(t *testing.T) {
	f := newFixture(t)
	iss := assertion.NewIssuer(f.keys, "https://app.example.com", 0, 0)
	now := f.clock.Now()
	tok, err := iss.Assertion(principal("u1", "s1"), now)
	if err != nil {
		t.Fatal(err)
	}
	c, kid, err := verifyAssertion(t, f.keys.JWKS(), tok, "https://app.example.com", now)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if kid != f.keys.KeyIDs()[0] {
		t.Errorf("kid %q, signing key %q", kid, f.keys.KeyIDs()[0])
	}
	want := assertion.Claims{Subject: "u1", Audience: "https://app.example.com", Email: "u1@example.com", Name: "Ann u1",
		EmailVerified: true, SessionID: "s1", IssuedAt: now.Unix(), ExpiresAt: now.Add(assertion.DefaultLifetime).Unix()}
	if *c != want {
		t.Errorf("claims %+v, want %+v", *c, want)
	}
	// Another site's audience, a later time, another alg: refused.
	if _, _, err := verifyAssertion(t, f.keys.JWKS(), tok, "https://other.example.com", now); err == nil {
		t.Error("verified for another audience")
	}
	if _, _, err := verifyAssertion(t, f.keys.JWKS(), tok, "https://app.example.com", now.Add(assertion.DefaultLifetime+time.Second)); err == nil {
		t.Error("verified after its expiry")
	}
	other := newFixture(t)
	if _, _, err := verifyAssertion(t, other.keys.JWKS(), tok, "https://app.example.com", now); err == nil {
		t.Error("verified against another project's JWKS")
	}
}

func TestAssertionReusedPerSession(t *testing.T) {
	f := newFixture(t)
	iss := assertion.NewIssuer(f.keys, "app", time.Minute, 0)
	p := principal("u1", "s1")
	now := f.clock.Now()
	first, _ := iss.Assertion(p, now)
	if again, _ := iss.Assertion(p, now.Add(29*time.Second)); again != first {
		t.Error("not reused within half its lifetime")
	}
	if other, _ := iss.Assertion(principal("u1", "s2"), now); other == first {
		t.Error("another session got the same assertion")
	}
	if site, _ := assertion.NewIssuer(f.keys, "admin", time.Minute, 0).Assertion(p, now); site == first {
		t.Error("another audience got the same assertion")
	}
	renamed := principal("u1", "s1")
	renamed.User.Name = "Ann Renamed"
	tok, _ := iss.Assertion(renamed, now.Add(time.Second))
	c, _, err := verifyAssertion(t, f.keys.JWKS(), tok, "app", now.Add(time.Second))
	if err != nil || c.Name != "Ann Renamed" {
		t.Errorf("after a rename: %v %+v", err, c)
	}
	late, _ := iss.Assertion(renamed, now.Add(31*time.Second))
	if late == tok {
		t.Error("reused past half its lifetime")
	}
	if _, _, err := verifyAssertion(t, f.keys.JWKS(), late, "app", now.Add(31*time.Second)); err != nil {
		t.Error(err)
	}
	// A JWT without a session: the user's own entry, no sid.
	bare := principal("u2", "")
	bare.Session = nil
	tok, _ = iss.Assertion(bare, now)
	if c, _, err := verifyAssertion(t, f.keys.JWKS(), tok, "app", now); err != nil || c.SessionID != "" || c.Subject != "u2" {
		t.Errorf("sessionless: %v %+v", err, c)
	}
}

func TestRotationOverlapThenDrop(t *testing.T) {
	f := newFixture(t)
	iss := assertion.NewIssuer(f.keys, "app", 0, 0)
	p := principal("u1", "s1")
	oldKid := f.keys.KeyIDs()[0]
	before, _ := iss.Assertion(p, f.clock.Now())

	f.clock.Advance(time.Minute)
	newKid, err := f.keys.Rotate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := f.keys.KeyIDs(); !slices.Equal(got, []string{newKid, oldKid}) || newKid == oldKid {
		t.Fatalf("JWKS kids after rotation %v, want [%s %s]", got, newKid, oldKid)
	}
	now := f.clock.Now()
	// The old assertion still verifies; the session's next one is signed
	// by the new key at once.
	if _, kid, err := verifyAssertion(t, f.keys.JWKS(), before, "app", now); err != nil || kid != oldKid {
		t.Fatalf("old assertion after rotation: %v (kid %s)", err, kid)
	}
	after, _ := iss.Assertion(p, now)
	if _, kid, err := verifyAssertion(t, f.keys.JWKS(), after, "app", now); err != nil || kid != newKid {
		t.Fatalf("new assertion: %v (kid %s, want %s)", err, kid, newKid)
	}

	// Within the overlap the old key stays; past it a reload drops it.
	f.clock.Advance(assertion.Overlap)
	if err := f.keys.Reload(context.Background()); err != nil || len(f.keys.KeyIDs()) != 2 {
		t.Fatalf("within the overlap: %v %v", err, f.keys.KeyIDs())
	}
	f.clock.Advance(time.Millisecond)
	if err := f.keys.Reload(context.Background()); err != nil || !slices.Equal(f.keys.KeyIDs(), []string{newKid}) {
		t.Fatalf("past the overlap: %v %v", err, f.keys.KeyIDs())
	}
	if _, _, err := verifyAssertion(t, f.keys.JWKS(), before, "app", now); err == nil {
		t.Fatal("an assertion of a dropped key verified")
	}
	// The next rotation deletes it from the store.
	if _, err := f.keys.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	stored, _ := f.store.AssertionKeys(context.Background())
	if len(stored) != 2 || slices.ContainsFunc(stored, func(k *assertion.Key) bool { return k.ID == oldKid }) {
		t.Fatalf("stored keys %d, old key kept", len(stored))
	}
}

func TestOtherInstancePicksUpRotation(t *testing.T) {
	f := newFixture(t)
	b := f.start(t) // a second instance: the same key, not a second one
	if !slices.Equal(b.KeyIDs(), f.keys.KeyIDs()) {
		t.Fatalf("second instance keys %v, first %v", b.KeyIDs(), f.keys.KeyIDs())
	}
	newKid, err := f.keys.Rotate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if b.KeyIDs()[0] == newKid {
		t.Fatal("b has the new key before reloading")
	}
	// What b signs meanwhile verifies against a's JWKS (overlap).
	issB := assertion.NewIssuer(b, "app", 0, 0)
	tok, _ := issB.Assertion(principal("u1", "s1"), f.clock.Now())
	if _, _, err := verifyAssertion(t, f.keys.JWKS(), tok, "app", f.clock.Now()); err != nil {
		t.Fatalf("b's assertion against a's JWKS: %v", err)
	}
	if err := b.Reload(context.Background()); err != nil || b.KeyIDs()[0] != newKid {
		t.Fatalf("after reload: %v %v", err, b.KeyIDs())
	}
	if tok2, _ := issB.Assertion(principal("u1", "s1"), f.clock.Now()); tok2 == tok {
		t.Fatal("b reused an assertion of the previous key after reloading")
	}
}

func TestPrivateKeySealedAtRest(t *testing.T) {
	f := newFixture(t)
	stored, err := f.store.AssertionKeys(context.Background())
	if err != nil || len(stored) != 1 {
		t.Fatalf("%v %d", err, len(stored))
	}
	if _, err := x509.ParsePKCS8PrivateKey(stored[0].Private); err == nil {
		t.Fatal("the private key is stored in the clear")
	}
	// Another project secret cannot open it: Start says so.
	other, err := account.New(context.Background(), core.Config{ProjectID: "p", Store: f.store, PublicURL: "http://localhost",
		Secret: []byte("another secret of thirty-two bytes")})
	if err != nil {
		t.Fatal(err)
	}
	k := assertion.NewKeys()
	if err := k.Start(context.Background(), assertion.Config{Store: f.store, Sealer: other.Sealer(assertion.SealPurpose)}); err == nil {
		t.Fatal("keys opened under another secret")
	}
}

func TestForgetRevokedSession(t *testing.T) {
	f := newFixture(t)
	iss := assertion.NewIssuer(f.keys, "app", 0, 0)
	now := f.clock.Now()
	for _, s := range []string{"s1", "s2"} {
		iss.Assertion(principal("u1", s), now)
	}
	iss.Assertion(principal("u2", "s3"), now)
	iss.Forget(core.Revocation{UserID: "u1", SessionID: "s1"})
	if iss.Len() != 2 {
		t.Fatalf("after a session revocation: %d kept, want 2", iss.Len())
	}
	iss.Forget(core.Revocation{UserID: "u1"})
	if iss.Len() != 1 {
		t.Fatalf("after a user revocation: %d kept, want 1", iss.Len())
	}
	iss.Forget(core.Revocation{AssertionKeys: true})
	if iss.Len() != 1 {
		t.Fatal("a key announcement dropped assertions")
	}
	iss.Clear()
	if iss.Len() != 0 {
		t.Fatal("Clear kept assertions")
	}
}

func TestIssuerCacheBounded(t *testing.T) {
	f := newFixture(t)
	iss := assertion.NewIssuer(f.keys, "app", 0, 3)
	for _, s := range []string{"a", "b", "c", "d", "e"} {
		if _, err := iss.Assertion(principal("u", s), f.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if iss.Len() != 3 {
		t.Fatalf("kept %d, bound 3", iss.Len())
	}
}

func TestServeJWKS(t *testing.T) {
	f := newFixture(t)
	rec := httptest.NewRecorder()
	f.keys.ServeJWKS(rec, httptest.NewRequest("GET", assertion.JWKSPath, nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/jwk-set+json" ||
		rec.Header().Get("Cache-Control") != "public, max-age=300" || len(jwks(t, rec.Body.Bytes())) != 1 {
		t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	req := httptest.NewRequest("GET", assertion.JWKSPath, nil)
	req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
	rec2 := httptest.NewRecorder()
	f.keys.ServeJWKS(rec2, req)
	if rec2.Code != http.StatusNotModified || rec2.Body.Len() != 0 {
		t.Fatalf("conditional GET: %d", rec2.Code)
	}
	rec3 := httptest.NewRecorder()
	f.keys.ServeJWKS(rec3, httptest.NewRequest("POST", assertion.JWKSPath, nil))
	if rec3.Code != 404 || rec3.Header().Get("Allow") != "GET, HEAD" {
		t.Fatalf("POST: %d %v", rec3.Code, rec3.Header())
	}
}

// BenchmarkIssuerHit is what assertions add to a gated request on a
// cache hit: the lookup of the session's assertion and the check that it
// is fresh, of the signing key and still says what the principal says.
// (BenchmarkGatePath in account compares the whole gate path with and
// without; BenchmarkAssertionSign there is one signature.)
func BenchmarkIssuerHit(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, b.TempDir()+"/keys.db")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	svc, err := account.New(ctx, core.Config{ProjectID: "p", Store: st, PublicURL: "http://localhost"})
	if err != nil {
		b.Fatal(err)
	}
	keys := assertion.NewKeys()
	if err := keys.Start(ctx, assertion.Config{Store: st, Sealer: svc.Sealer(assertion.SealPurpose)}); err != nil {
		b.Fatal(err)
	}
	iss := assertion.NewIssuer(keys, "https://app.example.com", 0, 0)
	// Other sessions in the cache, as on a busy instance.
	now := time.Now()
	for i := range 1000 {
		iss.Assertion(principal("u", "s"+strconv.Itoa(i)), now)
	}
	p := principal("u1", "s1")
	// A new signature would differ: ECDSA signatures are randomised.
	first, _ := iss.Assertion(p, now)
	b.ReportAllocs()
	for b.Loop() {
		if tok, err := iss.Assertion(p, now); err != nil || tok != first {
			b.Fatal("not a cache hit")
		}
	}
}

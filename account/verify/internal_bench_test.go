package verify

// Benchmarks of the unexported hot-path pieces. The end-to-end paths on a
// real SQLite store are in account's bench_test.go; the argon2id cost is
// BenchmarkHashDefaultCost in account/core's password_test.go.
//
//	go test -run '^$' -bench . -benchmem ./account/verify

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// benchStore is a Store that only answers what the cache-hit path must
// never ask: any call panics (nil embedded interface), so a benchmark that
// reaches the store by mistake fails loudly instead of measuring it.
type benchStore struct{ Store }

// benchSecret is a realistic session secret: 64 hex characters.
const benchSecret = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// benchService is a verifier over benchStore with one verified session in
// its cache, as after the first request of that session.
func benchService(b *testing.B) (*Verifier, Token, *core.Session, *core.User) {
	b.Helper()
	s := New(Config{
		Store:      benchStore{},
		Secrets:    [][]byte{[]byte("0123456789abcdef0123456789abcdef")},
		CookieName: "a_session_bench",
		CacheSize:  100000,
		CacheTTL:   10 * time.Second,
		Now:        time.Now,
		Log:        slog.Default(),
	})
	now := time.Now()
	user := &core.User{ID: "65f1a2b3c4d5e6f7a8b9", Email: "ann@example.com", Name: "Ann Example", Status: true, EmailVerification: true}
	sess := &core.Session{ID: "65f1a2b3c4d5e6f7a8c0", UserID: user.ID, Provider: "email", Expire: now.Add(time.Hour)}
	tok := Token{ID: user.ID, Secret: benchSecret}
	h := core.HashSecret(tok.Secret)
	sess.SecretHash = h[:]
	s.cache.put(h, sess, user, now, sess.Expire, false)
	return s, tok, sess, user
}

// The cookie value exactly as CookieWriter.set sends it (URL-encoded).
func benchCookieValue() string {
	return url.QueryEscape(EncodeToken("65f1a2b3c4d5e6f7a8b9", benchSecret))
}

func BenchmarkDecodeSessionToken(b *testing.B) {
	for name, v := range map[string]string{
		"url-encoded": benchCookieValue(), // what browsers send back
		"raw":         EncodeToken("65f1a2b3c4d5e6f7a8b9", benchSecret),
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := DecodeToken(v); !ok {
					b.Fatal("not decoded")
				}
			}
		})
	}
}

func BenchmarkDecodeFallbackCookies(b *testing.B) {
	// What the web SDK sends: the JSON object it got in X-Fallback-Cookies.
	header := `{"a_session_bench":"` + EncodeToken("65f1a2b3c4d5e6f7a8b9", benchSecret) + `"}`
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := decodeFallbackCookies(header, "a_session_bench"); !ok {
			b.Fatal("not decoded")
		}
	}
}

// BenchmarkCredential is finding and decoding the session cookie in a
// browser-like request (r.Cookie parses the whole Cookie header).
func BenchmarkCredential(b *testing.B) {
	s, _, _, _ := benchService(b)
	r, _ := http.NewRequest("GET", "http://localhost:8080/app", nil)
	r.Header.Set("Cookie", "_ga=GA1.1.123456789.1700000000; theme=dark; a_session_bench="+benchCookieValue())
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := s.Credential(r); !ok {
			b.Fatal("no credential")
		}
	}
}

func BenchmarkSessionCacheGet(b *testing.B) {
	c := newSessionCache(100000, time.Hour)
	now := time.Now()
	u := &core.User{ID: "u"}
	var keys [1024]cacheKey
	for i := range keys {
		keys[i] = core.HashSecret(strconv.Itoa(i))
		c.put(keys[i], &core.Session{ID: strconv.Itoa(i), UserID: "u"}, u, now, now.Add(time.Hour), false)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if c.get(keys[i&1023], now) == nil {
			b.Fatal("miss")
		}
		i++
	}
}

// BenchmarkVerifyCacheHit is the session check proper once the token is
// decoded: SHA-256 of the secret, cache lookup, the Principal.
func BenchmarkVerifyCacheHit(b *testing.B) {
	s, tok, _, _ := benchService(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if p, err := s.verifySecret(ctx, tok); p == nil || err != nil {
			b.Fatal("not verified", err)
		}
	}
}

// BenchmarkKeyringVerify is the JWT signature and claims check alone (what
// a JWT's first use costs besides the two store reads).
func BenchmarkKeyringVerify(b *testing.B) {
	ring := newKeyring([]byte("0123456789abcdef0123456789abcdef"))
	now := time.Now()
	token, err := ring.signFor("65f1a2b3c4d5e6f7a8b9", "65f1a2b3c4d5e6f7a8c0", now, JWTLifetime)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ring.verify(token, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPrincipalIdentity is building the identity values the gate
// sends upstream.
func BenchmarkPrincipalIdentity(b *testing.B) {
	_, _, sess, user := benchService(b)
	ref := refOf(sess)
	p := &Principal{User: user, Session: &ref}
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Identity()
	}
}

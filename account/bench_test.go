package account_test

// Benchmarks of the gate's hot paths on a real SQLite store (in
// b.TempDir()). The unexported pieces (cookie and fallback-header
// decoding, the cache, the JWT signature check) are benchmarked in
// internal_bench_test.go; argon2id at the default cost (m=19456 KiB, t=2,
// p=1) is BenchmarkHashDefaultCost in account/core/password_test.go.
//
//	go test -run '^$' -bench 'Gate|Identity|Decode|Credential|Cache|Verify|Keyring|Principal' -benchmem ./account
//
// scripts/bench runs them and prints a table; README "## Performance"
// has the figures.

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/assertion"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/verify"
)

// benchEnv is a service with one signed-up user and one session; cookie is
// the Cookie header a browser sends back, with two unrelated cookies.
func benchEnv(b *testing.B, edit func(*core.Config)) (e *env, cookie, userID string) {
	b.Helper()
	e = newEnv(b, edit)
	userID = e.signUp("bench@example.com", "password123")
	c, _ := e.signIn("bench@example.com", "password123")
	return e, "_ga=GA1.1.123456789.1700000000; theme=dark; " + c, userID
}

func gateRequest(h map[string]string) *http.Request {
	r, _ := http.NewRequest("GET", "http://localhost:8080/app/dashboard?tab=1", nil)
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return r
}

func mustGate(b *testing.B, e *env, r *http.Request, userID string) *verify.Principal {
	p, gerr := e.svc.GateCheck(r)
	if gerr != nil || p.User.ID != userID {
		b.Fatalf("gate: %v", gerr)
	}
	return p
}

// BenchmarkGateCheckCookie is the gate's session check with the session
// cookie: hit = verified recently (the steady state, no store access);
// miss = the cache entry is stale, so two SQLite reads (session by secret
// hash, user by id) and a cache refill.
func BenchmarkGateCheckCookie(b *testing.B) {
	b.Run("hit", func(b *testing.B) {
		e, cookie, id := benchEnv(b, nil)
		r := gateRequest(map[string]string{"Cookie": cookie})
		mustGate(b, e, r, id)
		b.ReportAllocs()
		for b.Loop() {
			mustGate(b, e, r, id)
		}
	})
	b.Run("miss", func(b *testing.B) {
		e, cookie, id := benchEnv(b, nil)
		r := gateRequest(map[string]string{"Cookie": cookie})
		b.ReportAllocs()
		for b.Loop() {
			// Past the cache TTL (10s) but far from the session's expiry.
			e.clock.Advance(11 * time.Second)
			mustGate(b, e, r, id)
		}
	})
}

// BenchmarkGateCheckFallbackCookies is the cache-hit check when the
// session comes in X-Fallback-Cookies (SDK clients without cookies).
func BenchmarkGateCheckFallbackCookies(b *testing.B) {
	e, _, id := benchEnv(b, nil)
	r := e.do("POST", "/v1/account/sessions/email", `{"email":"bench@example.com","password":"password123"}`, nil)
	fallback := r.header.Get("X-Fallback-Cookies")
	if r.status != 201 || fallback == "" {
		b.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	req := gateRequest(map[string]string{"X-Fallback-Cookies": fallback})
	mustGate(b, e, req, id)
	b.ReportAllocs()
	for b.Loop() {
		mustGate(b, e, req, id)
	}
}

// BenchmarkGateCheckJWT is the gate's check of an X-Appwrite-JWT: first
// use = signature and claims check plus two SQLite reads (session by id,
// user by id), measured with the cache off so that every call is a first
// use; cached = the token's SHA-256 found in the cache.
func BenchmarkGateCheckJWT(b *testing.B) {
	jwtFor := func(b *testing.B, e *env, cookie string) string {
		r := e.do("POST", "/v1/account/jwt", "", cookieHeader(cookie))
		if r.status != 201 {
			b.Fatalf("jwt: %d %s", r.status, r.body)
		}
		return r.json(b)["jwt"].(string)
	}
	b.Run("first-use", func(b *testing.B) {
		e, cookie, id := benchEnv(b, func(c *core.Config) { c.CacheSize = -1 })
		r := gateRequest(map[string]string{"X-Appwrite-JWT": jwtFor(b, e, cookie)})
		b.ReportAllocs()
		for b.Loop() {
			mustGate(b, e, r, id)
		}
	})
	b.Run("cached", func(b *testing.B) {
		e, cookie, id := benchEnv(b, nil)
		r := gateRequest(map[string]string{"X-Appwrite-JWT": jwtFor(b, e, cookie)})
		mustGate(b, e, r, id)
		b.ReportAllocs()
		for b.Loop() {
			mustGate(b, e, r, id)
		}
	})
}

// browserHeaders is what a Chrome navigation carries once Caddy has read
// it, plus one smuggled identity header in a spelling proxies fold.
func browserHeaders() http.Header {
	return http.Header{
		"Accept":                    {"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"},
		"Accept-Encoding":           {"gzip, deflate, br, zstd"},
		"Accept-Language":           {"en-GB,en;q=0.9,de;q=0.8"},
		"Cache-Control":             {"max-age=0"},
		"Connection":                {"keep-alive"},
		"Cookie":                    {"_ga=GA1.1.123456789.1700000000; theme=dark"},
		"Priority":                  {"u=0, i"},
		"Referer":                   {"https://app.example.com/"},
		"Sec-Ch-Ua":                 {`"Chromium";v="131", "Not_A Brand";v="24"`},
		"Sec-Ch-Ua-Mobile":          {"?0"},
		"Sec-Ch-Ua-Platform":        {`"Linux"`},
		"Sec-Fetch-Dest":            {"document"},
		"Sec-Fetch-Mode":            {"navigate"},
		"Sec-Fetch-Site":            {"same-origin"},
		"Sec-Fetch-User":            {"?1"},
		"Upgrade-Insecure-Requests": {"1"},
		"User-Agent":                {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"},
	}
}

// BenchmarkIdentityHeaders is HeaderNames.Strip then Set on a browser's
// request headers, as the gate does on every allowed request. Each
// iteration re-adds the client's smuggled X_Account_Id; Strip also
// removes the eight headers the previous iteration set (a slightly
// pessimistic map).
func BenchmarkIdentityHeaders(b *testing.B) {
	names := verify.DefaultHeaderNames()
	id := verify.Identity{ID: "65f1a2b3c4d5e6f7a8b9", Email: "ann@example.com", Name: "Ann Example",
		EmailVerified: "true", PhoneVerified: "false", SessionID: "65f1a2b3c4d5e6f7a8c0", SessionProvider: "email"}
	hdr := browserHeaders()
	smuggled := []string{"admin"}
	// The underscore spelling a client may send, as a raw (non-canonical)
	// map key, the way net/http stores it.
	underscored := strings.ReplaceAll("X-Account-Id", "-", "_")
	b.ReportAllocs()
	for b.Loop() {
		hdr[underscored] = smuggled
		names.Strip(hdr)
		names.Set(hdr, id)
	}
	if hdr.Get("X-Account-Id") != id.ID || hdr[underscored] != nil {
		b.Fatal("identity not set")
	}
}

// BenchmarkGatePath is the account side of Gate.ServeHTTP on a cache hit
// (caddymodule adds the placeholders): StripIdentity, GateCheck, Identity, Set,
// StripCredentials, on a browser request with the session cookie.
func BenchmarkGatePath(b *testing.B) {
	b.Run("assertion=off", func(b *testing.B) { benchGatePath(b, false) })
	// With a signed identity assertion: the session's assertion is
	// reused, so on a cache hit this adds a lookup, not a signature.
	b.Run("assertion=on", func(b *testing.B) { benchGatePath(b, true) })
}

func benchGatePath(b *testing.B, withAssertion bool) {
	e, cookie, id := benchEnv(b, nil)
	var issuer *assertion.Issuer
	if withAssertion {
		keys := assertion.NewKeys()
		if err := keys.Start(context.Background(), assertion.Config{Store: e.store, Sealer: e.svc.Sealer(assertion.SealPurpose),
			Now: e.clock.Now}); err != nil {
			b.Fatal(err)
		}
		issuer = assertion.NewIssuer(keys, "https://app.example.com", 0, 0)
	}
	names := verify.DefaultHeaderNames()
	r := gateRequest(nil)
	r.Header = browserHeaders()
	cookieLine := []string{cookie}
	b.ReportAllocs()
	for b.Loop() {
		// Restore what the previous iteration consumed, without
		// allocating: the session cookie (StripCredentials rewrote the
		// Cookie line). Strip removes the identity headers it set.
		r.Header["Cookie"] = cookieLine
		e.svc.StripIdentity(r, names)
		p := mustGate(b, e, r, id)
		names.Set(r.Header, p.Identity())
		if issuer != nil {
			tok, err := issuer.Assertion(p, e.clock.Now())
			if err != nil {
				b.Fatal(err)
			}
			r.Header[verify.AssertionHeader] = []string{tok}
		}
		e.svc.StripCredentials(r.Header, p)
	}
	if r.Header.Get("Cookie") != "_ga=GA1.1.123456789.1700000000; theme=dark" || r.Header.Get("X-Account-Id") != id {
		b.Fatalf("headers: %v", r.Header)
	}
	if withAssertion && r.Header.Get(verify.AssertionHeader) == "" {
		b.Fatal("no assertion")
	}
}

// BenchmarkAssertionSign is one ES256 signature of an assertion: what a
// session costs once per half assertion lifetime, and what the gate
// would cost per request without the reuse.
func BenchmarkAssertionSign(b *testing.B) {
	e, _, _ := benchEnv(b, nil)
	keys := assertion.NewKeys()
	if err := keys.Start(context.Background(), assertion.Config{Store: e.store, Sealer: e.svc.Sealer(assertion.SealPurpose)}); err != nil {
		b.Fatal(err)
	}
	// A one-entry cache and a new session each time: every call signs.
	issuer := assertion.NewIssuer(keys, "https://app.example.com", 0, 1)
	p := &verify.Principal{User: &core.User{ID: "u1", Email: "ann@example.com", Name: "Ann"}, Session: &verify.SessionRef{}}
	ids := [2]string{"s1", "s2"}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		p.Session.ID = ids[i%2]
		if _, err := issuer.Assertion(p, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

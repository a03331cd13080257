package caddymodule

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/assertion"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/verify"
	"github.com/accountgate/accountgate/store/sqlite"
)

// assertionFixture is a project with account_api and two gates that send
// assertions to two sites, one user signed in.
type assertionFixture struct {
	api    *APIHandler
	app    *Gate // audience https://app.example.com
	admin  *Gate // audience https://app.example.com/admin
	plain  *Gate // no assertions
	cookie string
	svc    *account.Service
	slot   *projectSlot
	store  *sqlite.Store
}

func newAssertionFixture(t *testing.T) *assertionFixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir()+"/assert.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := account.New(ctx, core.Config{ProjectID: "p", Store: st, PublicURL: "http://localhost",
		Platforms: []string{"localhost"}, Password: core.PasswordConfig{Memory: 64, Time: 1, Threads: 1},
		RateLimits: core.RateLimitConfig{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	slot := newProjectSlot("p")
	gate := func(aud string) *Gate {
		g := &Gate{Project: "p", slot: slot, headers: verify.DefaultHeaderNames(), logger: zap.NewNop()}
		if aud != "" {
			g.Assertion = &AssertionConfig{Audience: aud}
			g.issuer = slot.issuer(g.Assertion)
		}
		return g
	}
	f := &assertionFixture{api: &APIHandler{Project: "p", slot: slot}, app: gate("https://app.example.com"),
		admin: gate("https://app.example.com/admin"), plain: gate(""), svc: svc, slot: slot, store: st}
	// As App.Start does.
	if err := startKeys(ctx, slot.keys, &pooledStore{Store: st}, svc); err != nil {
		t.Fatal(err)
	}
	slot.set(svc)
	f.call("POST", "/v1/account", `{"userId":"u1","email":"ann@example.com","password":"password123","name":"Ann"}`, "")
	rec := f.call("POST", "/v1/account/sessions/email", `{"email":"ann@example.com","password":"password123"}`, "")
	for _, c := range rec.Result().Cookies() {
		if c.Name == "a_session_p" {
			f.cookie = "a_session_p=" + c.Value
		}
	}
	if f.cookie == "" {
		t.Fatalf("sign-in: %d %s", rec.Code, rec.Body)
	}
	return f
}

// call sends a request to account_api (whose next handler answers 404).
func (f *assertionFixture) call(method, path, body, cookie string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://localhost"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	rec := httptest.NewRecorder()
	f.api.ServeHTTP(rec, req, caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(404)
		return nil
	}))
	return rec
}

// through sends req through g; it returns the status and the request the
// upstream got (nil if none).
func through(g *Gate, req *http.Request) (int, *http.Request) {
	req = req.WithContext(context.WithValue(req.Context(), caddy.ReplacerCtxKey, caddy.NewReplacer()))
	var upstream *http.Request
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, req, caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		upstream = r
		return nil
	}))
	return rec.Code, upstream
}

func (f *assertionFixture) get(g *Gate, cookie string) (int, *http.Request) {
	req := httptest.NewRequest("GET", "http://localhost/app", nil)
	req.Header.Set("Cookie", cookie)
	return through(g, req)
}

// verifyAssertion checks token against the JWKS account_api serves, as
// an upstream would.
func (f *assertionFixture) verifyAssertion(t *testing.T, token, audience string) (jwt.MapClaims, string) {
	t.Helper()
	rec := f.call("GET", assertion.JWKSPath, "", "")
	if rec.Code != 200 {
		t.Fatalf("JWKS: %d %s", rec.Code, rec.Body)
	}
	var set struct {
		Keys []struct{ Kid, X, Y, Alg, Use string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil {
		t.Fatal(err)
	}
	var kid string
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(tok *jwt.Token) (any, error) {
		kid, _ = tok.Header["kid"].(string)
		for _, k := range set.Keys {
			if k.Kid == kid && k.Alg == "ES256" && k.Use == "sig" {
				x, _ := base64.RawURLEncoding.DecodeString(k.X)
				y, _ := base64.RawURLEncoding.DecodeString(k.Y)
				return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
			}
		}
		return nil, errors.New("kid not in the JWKS")
	}, jwt.WithValidMethods([]string{"ES256"}), jwt.WithAudience(audience), jwt.WithExpirationRequired())
	if err != nil {
		t.Fatalf("assertion does not verify against the JWKS: %v", err)
	}
	return claims, kid
}

func TestGateSendsAssertion(t *testing.T) {
	f := newAssertionFixture(t)
	code, up := f.get(f.app, f.cookie)
	if code != 200 || up == nil {
		t.Fatalf("gate: %d", code)
	}
	tok := up.Header.Get(verify.AssertionHeader)
	claims, _ := f.verifyAssertion(t, tok, "https://app.example.com")
	sid := up.Header.Get("X-Account-Session-Id")
	if claims["sub"] != "u1" || claims["email"] != "ann@example.com" || claims["name"] != "Ann" ||
		claims["email_verified"] != false || claims["phone_verified"] != false || claims["sid"] != sid || sid == "" {
		t.Errorf("claims %v (session %s)", claims, sid)
	}
	exp, _ := claims.GetExpirationTime()
	iat, _ := claims.GetIssuedAt()
	if exp.Sub(iat.Time) != assertion.DefaultLifetime {
		t.Errorf("lifetime %s", exp.Sub(iat.Time))
	}
	// Reused by the next request of the session, even when a handler
	// after the gate rewrote the header in place (request_header replace
	// does).
	up.Header[verify.AssertionHeader][0] = "rewritten"
	if _, up2 := f.get(f.app, f.cookie); up2.Header.Get(verify.AssertionHeader) != tok {
		t.Error("a second request did not get the session's assertion")
	}
	// The admin site's gate names its own audience; the app's assertion
	// is not valid there.
	_, upAdmin := f.get(f.admin, f.cookie)
	adminTok := upAdmin.Header.Get(verify.AssertionHeader)
	if c, _ := f.verifyAssertion(t, adminTok, "https://app.example.com/admin"); c["aud"] != "https://app.example.com/admin" {
		t.Errorf("admin aud %v", c["aud"])
	}
	if _, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return nil, nil }, jwt.WithAudience("https://app.example.com/admin")); err == nil {
		t.Error("the app's assertion passed as the admin site's")
	}
	// A gate without assertions sends none.
	if _, up := f.get(f.plain, f.cookie); up.Header.Get(verify.AssertionHeader) != "" {
		t.Error("a gate without assertions sent one")
	}
}

func TestSpoofedAssertionStripped(t *testing.T) {
	f := newAssertionFixture(t)
	for _, g := range []*Gate{f.plain, f.app} {
		for _, cookie := range []string{"", f.cookie} {
			req := httptest.NewRequest("GET", "http://localhost/app", nil)
			req.Header.Set("Cookie", cookie)
			req.Header["X-Account-Assertion"] = []string{"forged.token.here"}
			req.Header["X_account_assertion"] = []string{"forged"}
			_, up := through(g, req)
			if up == nil {
				continue // refused: nothing reached the upstream
			}
			for key, v := range up.Header {
				if sameSpelling(key, verify.AssertionHeader) && (g.issuer == nil || len(v) != 1 || strings.HasPrefix(v[0], "forged")) {
					t.Errorf("gate with assertions %v, cookie %v: upstream got %s: %v", g.issuer != nil, cookie != "", key, v)
				}
			}
			if g.issuer != nil && up.Header.Get(verify.AssertionHeader) == "" {
				t.Error("no assertion of ours")
			}
		}
	}
	// account_api strips it too, on routes without a gate.
	req := httptest.NewRequest("GET", "http://localhost/public", nil)
	req.Header["X_Account_Assertion"] = []string{"forged"}
	var passed *http.Request
	f.api.ServeHTTP(httptest.NewRecorder(), req, caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		passed = r
		return nil
	}))
	if passed == nil || len(passed.Header) != 0 {
		t.Fatalf("account_api passed on %v", passed.Header)
	}
}

func sameSpelling(a, b string) bool {
	return strings.EqualFold(strings.ReplaceAll(a, "_", "-"), b)
}

func TestRevokedSessionGetsNoAssertion(t *testing.T) {
	f := newAssertionFixture(t)
	f.get(f.app, f.cookie)
	f.get(f.admin, f.cookie)
	if f.app.issuer.Len() != 1 || f.admin.issuer.Len() != 1 {
		t.Fatalf("kept %d, %d assertions", f.app.issuer.Len(), f.admin.issuer.Len())
	}
	if rec := f.call("DELETE", "/v1/account/sessions/current", "", f.cookie); rec.Code != 204 {
		t.Fatalf("sign-out: %d %s", rec.Code, rec.Body)
	}
	if f.app.issuer.Len() != 0 || f.admin.issuer.Len() != 0 {
		t.Errorf("the revoked session's assertions kept: %d, %d", f.app.issuer.Len(), f.admin.issuer.Len())
	}
	if code, up := f.get(f.app, f.cookie); code != 401 || up != nil {
		t.Fatalf("revoked session: %d, upstream reached %v", code, up != nil)
	}
}

func TestJWKSOnlyWithAssertions(t *testing.T) {
	f := newAssertionFixture(t)
	rec := f.call("GET", assertion.JWKSPath, "", "")
	if rec.Code != 200 || rec.Header().Get("Cache-Control") == "" {
		t.Fatalf("JWKS: %d %v", rec.Code, rec.Header())
	}
	// A project whose gates send no assertion has no keys loaded: the
	// path is the upstream's.
	other := &APIHandler{Project: "q", slot: newProjectSlot("q")}
	other.slot.set(f.svc)
	req := httptest.NewRequest("GET", "http://localhost"+assertion.JWKSPath, nil)
	passed := false
	other.ServeHTTP(httptest.NewRecorder(), req, caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		passed = true
		return nil
	}))
	if !passed {
		t.Fatal("the JWKS path was taken without assertion keys")
	}
}

func TestAssertionRotationBroadcast(t *testing.T) {
	f := newAssertionFixture(t)
	_, up := f.get(f.app, f.cookie)
	_, oldKid := f.verifyAssertion(t, up.Header.Get(verify.AssertionHeader), "https://app.example.com")
	// Another instance (here: another key set on the store) rotates and
	// announces it; this instance reloads on the announcement.
	other := assertion.NewKeys()
	if err := startKeys(context.Background(), other, f.store, f.svc); err != nil {
		t.Fatal(err)
	}
	newKid, err := other.Rotate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Broadcast(context.Background(), core.Revocation{AssertionKeys: true})
	deadline := time.Now().Add(5 * time.Second)
	for f.slot.keys.KeyIDs()[0] != newKid && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := f.slot.keys.KeyIDs(); !slices.Equal(got, []string{newKid, oldKid}) {
		t.Fatalf("keys after the announcement %v, want [%s %s]", got, newKid, oldKid)
	}
	_, up = f.get(f.app, f.cookie)
	if _, kid := f.verifyAssertion(t, up.Header.Get(verify.AssertionHeader), "https://app.example.com"); kid != newKid {
		t.Errorf("assertion kid %s after rotation, want %s", kid, newKid)
	}
}

func TestAssertionKeysCommand(t *testing.T) {
	path, _ := writeCaddyfile(t)
	run := func(action string, jsonOut bool) (string, error) {
		var out, errOut bytes.Buffer
		err := runAssertionKeys(context.Background(), path, "caddyfile", "test", action, jsonOut, &out, &errOut)
		return out.String(), err
	}
	// No gate has made a key yet, and listing makes none.
	out, err := run("list", true)
	if err != nil || strings.TrimSpace(out) != `{"keys":[]}` {
		t.Fatalf("list without keys: %v %s", err, out)
	}
	if out, _ = run("list", false); !strings.Contains(out, "no assertion keys yet") {
		t.Fatalf("list without keys: %s", out)
	}
	// The first rotation makes the first key.
	out, err = run("rotate", true)
	var first struct {
		Rotated string
		Keys    []string
	}
	if err != nil || json.Unmarshal([]byte(out), &first) != nil || len(first.Keys) != 1 || first.Keys[0] != first.Rotated {
		t.Fatalf("first rotation: %v %s", err, out)
	}
	out, err = run("rotate", false)
	if err != nil || !strings.Contains(out, "rotated: new signing key") || !strings.Contains(out, first.Keys[0]+"\tretired") {
		t.Fatalf("rotate: %v %s", err, out)
	}
	out, _ = run("list", true)
	var after struct{ Keys []string }
	json.Unmarshal([]byte(out), &after)
	if len(after.Keys) != 2 || after.Keys[1] != first.Keys[0] {
		t.Fatalf("after rotation %v", after.Keys)
	}
	if _, err := run("delete", false); err == nil || !strings.Contains(err.Error(), "list|rotate") {
		t.Fatalf("unknown action: %v", err)
	}
}

func TestAssertionCaddyfileAndValidate(t *testing.T) {
	for _, tc := range []struct{ input, want string }{
		{"account_gate a {\n assertion\n}", "usage: assertion <audience>"},
		{"account_gate a {\n assertion x y\n}", "usage: assertion <audience>"},
		{"account_gate a {\n assertion x {\n lifetime\n }\n}", "wrong argument count"},
		{"account_gate a {\n assertion x {\n lifetime soon\n }\n}", "assertion lifetime"},
	} {
		err := new(Gate).UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.input))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.input, err, tc.want)
		}
	}
	for _, tc := range []struct {
		a    AssertionConfig
		want string
	}{
		{AssertionConfig{}, "needs an audience"},
		{AssertionConfig{Audience: "https://app.example.com", Lifetime: caddy.Duration(time.Second)}, "outside 30s..15m0s"},
		{AssertionConfig{Audience: "https://app.example.com", Lifetime: caddy.Duration(time.Hour)}, "outside"},
		{AssertionConfig{Audience: "app with spaces"}, "not a plain URL"},
	} {
		err := (&Gate{Project: "p", Assertion: &tc.a}).Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.a, err, tc.want)
		}
	}
	if err := (&Gate{Project: "p", Assertion: &AssertionConfig{Audience: "https://app.example.com", Lifetime: caddy.Duration(2 * time.Minute)}}).Validate(); err != nil {
		t.Error(err)
	}
}

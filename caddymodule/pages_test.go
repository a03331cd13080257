package caddymodule

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/accountgate/accountgate/account/pages"
)

// loadCaddyfile runs Caddy on the Caddyfile until the test ends.
func loadCaddyfile(t *testing.T, caddyfile string) {
	t.Helper()
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile), map[string]any{"filename": "Caddyfile"})
	if err != nil {
		t.Fatal(err)
	}
	if err := caddy.Load(cfg, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { caddy.Stop() })
}

type pageClient struct {
	t      *testing.T
	base   string
	cookie string
}

func (c *pageClient) do(method, path, accept string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.base+path, body)
	req.Header.Set("Accept", accept)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", c.base)
	}
	if c.cookie != "" {
		req.Header.Set("Cookie", c.cookie)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	for _, ck := range res.Cookies() {
		if ck.Name == "a_session_demo" && ck.Value != "" {
			c.cookie = ck.Name + "=" + ck.Value
		}
	}
	return res, string(raw)
}

// TestPagesThroughCaddy runs the pages and the gate in Caddy from a
// Caddyfile: browsers without a session go to sign-in and, signed up,
// come back to the page they asked for; API clients get 401 JSON; an
// explicit on_fail keeps its target; `pages off` takes the pages away.
func TestPagesThroughCaddy(t *testing.T) {
	port, legacyPort := freePort(t), freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	caddyfile := func(pagesOpt string) string {
		return fmt.Sprintf(`{
	admin off
	persist_config off
	accountgate {
		project demo {
			store sqlite %s
			public_url %s
			platform 127.0.0.1
			password_cost 64 1 1
			%s
		}
	}
}
http://127.0.0.1:%d {
	account_api demo
	account_gate demo
	respond "app {http.auth.user.email}"
}
http://127.0.0.1:%d {
	account_api demo
	account_gate demo {
		on_fail redirect /login
	}
	respond "legacy"
}
`, filepath.Join(t.TempDir(), "demo.db"), base, pagesOpt, port, legacyPort)
	}
	loadCaddyfile(t, caddyfile("pages {\n\t\t\t\tname Acme\n\t\t\t}"))
	c := &pageClient{t: t, base: base}

	res, _ := c.do("GET", "/app/page?x=1", "text/html,application/xhtml+xml", nil)
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/auth/signin?return=%2Fapp%2Fpage%3Fx%3D1" {
		t.Fatalf("browser without a session: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := c.do("HEAD", "/app/page", "text/html", nil); res.StatusCode != http.StatusFound {
		t.Fatalf("HEAD from a browser: %d", res.StatusCode)
	}
	for _, tc := range []struct{ method, accept string }{{"GET", "application/json"}, {"GET", "*/*"}, {"POST", "text/html"}} {
		res, body := c.do(tc.method, "/app/page", tc.accept, nil)
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"type":"general_unauthorized_scope"`) {
			t.Fatalf("%s %s: %d %s", tc.method, tc.accept, res.StatusCode, body)
		}
	}
	// A request path that reads as a host never becomes one.
	if res, _ := c.do("GET", "//evil.example/x", "text/html", nil); res.StatusCode != http.StatusFound || strings.Contains(res.Header.Get("Location"), "evil") && !strings.Contains(res.Header.Get("Location"), "return=%2F%2F") {
		t.Fatalf("//host path: %q", res.Header.Get("Location"))
	}

	res, body := c.do("GET", "/auth/signin?return=/app/page", "text/html", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Sign in to Acme") || res.Header.Get("Content-Security-Policy") != pages.CSP {
		t.Fatalf("sign-in page: %d %v %s", res.StatusCode, res.Header, body)
	}
	res, body = c.do("POST", "/auth/signup", "text/html", url.Values{"email": {"ada@example.com"}, "password": {"password123"}, "return": {"/app/page?x=1"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/app/page?x=1" || c.cookie == "" {
		t.Fatalf("sign-up: %d %q %s", res.StatusCode, res.Header.Get("Location"), body)
	}
	if res, body := c.do("GET", "/app/page?x=1", "text/html", nil); res.StatusCode != http.StatusOK || body != "app ada@example.com" {
		t.Fatalf("after sign-up: %d %q", res.StatusCode, body)
	}
	if res, body := c.do("GET", "/auth/account", "text/html", nil); res.StatusCode != http.StatusOK || !strings.Contains(body, "ada@example.com") {
		t.Fatalf("account page: %d", res.StatusCode)
	}

	legacy := &pageClient{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", legacyPort)}
	if res, _ := legacy.do("GET", "/x", "text/html", nil); res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/login?return=%2Fx" {
		t.Fatalf("on_fail: %d %q", res.StatusCode, res.Header.Get("Location"))
	}

	caddy.Stop()
	loadCaddyfile(t, caddyfile("pages off"))
	c.cookie = ""
	if res, body := c.do("GET", "/auth/signin", "text/html", nil); res.StatusCode != http.StatusUnauthorized || strings.Contains(body, "<form") {
		t.Fatalf("pages off: %d %s", res.StatusCode, body)
	}
}

// TestGateRefusalPageOffersVerification: a browser refused for an
// unverified email sees a page that links to the account page; an API
// client gets the JSON error.
func TestGateRefusalPageOffersVerification(t *testing.T) {
	for _, g := range []Gate{{Require: []string{"verified_email"}}, {Policy: Policy{AllowEmailDomains: []string{"example.com"}}}} {
		f := newGateFixture(t, g)
		p, err := pages.New(pages.Config{ProjectID: "p", PublicURL: "http://localhost", EmailPassword: true})
		if err != nil {
			t.Fatal(err)
		}
		f.gate.slot.pages = p
		page := f.get(f.cookie, true)
		body := page.Body.String()
		if page.Code < 400 || !strings.Contains(body, `href="/auth/account">Verify your email address`) || page.Header().Get("Content-Security-Policy") != pages.CSP {
			t.Fatalf("%+v browser: %d %s", g, page.Code, body)
		}
		if api := f.get(f.cookie, false); api.Code != page.Code || !strings.Contains(api.Body.String(), `"type"`) {
			t.Fatalf("%+v API client: %d %s", g, api.Code, api.Body)
		}
		if f.upstream != nil {
			t.Fatal("a refused request reached the upstream")
		}
	}
}

// TestGateSendsPendingSecondFactorToMFAPage: a browser whose session
// still needs its second factor goes to the hosted MFA page and back.
func TestGateSendsPendingSecondFactorToMFAPage(t *testing.T) {
	f := newGateFixture(t, Gate{})
	p, err := pages.New(pages.Config{ProjectID: "p", PublicURL: "http://localhost", EmailPassword: true})
	if err != nil {
		t.Fatal(err)
	}
	f.gate.slot.pages = p
	for _, step := range []struct{ method, path, body string }{
		{"POST", "/v1/account/mfa/recovery-codes", ""}, {"PATCH", "/v1/account/mfa", `{"mfa":true}`},
	} {
		req := httptest.NewRequest(step.method, "http://localhost"+step.path, strings.NewReader(step.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Cookie", f.cookie)
		req.Header.Set("X-Appwrite-Response-Format", "1.6.0")
		rec := httptest.NewRecorder()
		f.api.ServeHTTP(rec, req)
		if rec.Code >= 300 {
			t.Fatalf("%s %s: %d %s", step.method, step.path, rec.Code, rec.Body)
		}
	}
	page := f.get(f.cookie, true)
	if page.Code != http.StatusFound || page.Header().Get("Location") != "/auth/mfa?return=%2Fapp" {
		t.Fatalf("browser: %d %q", page.Code, page.Header().Get("Location"))
	}
	if api := f.get(f.cookie, false); api.Code != http.StatusUnauthorized || !strings.Contains(api.Body.String(), "user_more_factors_required") {
		t.Fatalf("API client: %d %s", api.Code, api.Body)
	}
	// Without any session the browser goes to sign-in instead.
	if page := f.get("", true); page.Code != http.StatusFound || page.Header().Get("Location") != "/auth/signin?return=%2Fapp" {
		t.Fatalf("no session: %d %q", page.Code, page.Header().Get("Location"))
	}
}

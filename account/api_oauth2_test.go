package account_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/oauth"
)

// fakeProvider stands in for a provider: each code maps to an identity.
type fakeProvider struct {
	mu         sync.Mutex
	identities map[string]oauth.Identity
	refreshes  int
	lastAuth   url.Values
}

func (f *fakeProvider) AuthCodeURL(_ context.Context, state, nonce, verifier string, scopes []string) (string, error) {
	q := url.Values{"state": {state}, "nonce": {nonce}, "verifier": {verifier}, "scope": {strings.Join(scopes, " ")}}
	f.mu.Lock()
	f.lastAuth = q
	f.mu.Unlock()
	return "https://provider.test/authorize?" + q.Encode(), nil
}

func (f *fakeProvider) Exchange(_ context.Context, code, verifier, nonce string, _ ...oauth.ExchangeOption) (*oauth2.Token, oauth.Identity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lastAuth.Get("verifier") != verifier || f.lastAuth.Get("nonce") != nonce {
		return nil, oauth.Identity{}, errors.New("PKCE verifier or nonce mismatch")
	}
	id, ok := f.identities[code]
	if !ok {
		return nil, oauth.Identity{}, errors.New("invalid_grant")
	}
	return &oauth2.Token{AccessToken: "at-" + code, RefreshToken: "rt-" + code, Expiry: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}, id, nil
}

func (f *fakeProvider) Refresh(_ context.Context, refresh string) (*oauth2.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refreshes++
	return &oauth2.Token{AccessToken: "refreshed-" + refresh, Expiry: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)}, nil
}

// flow is one browser going through the OAuth2 redirects.
type flow struct {
	e       *env
	nonce   string
	state   string
	cookies []string // extra Cookie header parts (a signed-in session)
}

func (e *env) startOAuth(t *testing.T, query string, cookies ...string) (*flow, response) {
	t.Helper()
	h := map[string]string{}
	if len(cookies) > 0 {
		h["Cookie"] = strings.Join(cookies, "; ")
	}
	r := e.do("GET", "/v1/account/sessions/oauth2/github?"+query, "", h)
	f := &flow{e: e, cookies: cookies}
	if r.status != 301 {
		return f, r
	}
	loc, _ := url.Parse(r.header.Get("Location"))
	f.state = loc.Query().Get("state")
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "a_oauth_test" {
			f.nonce = c.Value
			if !c.Secure || c.SameSite != http.SameSiteNoneMode || !c.HttpOnly {
				t.Errorf("nonce cookie attributes: %+v", c)
			}
		}
	}
	return f, r
}

func (f *flow) callback(code string) response {
	cookies := append([]string{"a_oauth_test=" + f.nonce}, f.cookies...)
	q := url.Values{"code": {code}, "state": {f.state}}
	return f.e.do("GET", "/v1/account/sessions/oauth2/callback/github/test?"+q.Encode(), "", map[string]string{"Cookie": strings.Join(cookies, "; ")})
}

// outcome reads where the callback sent the browser.
func outcome(t *testing.T, r response) (target *url.URL, sessionCookie string, errType string) {
	t.Helper()
	if r.status != 301 {
		t.Fatalf("callback: %d %s", r.status, r.body)
	}
	target, _ = url.Parse(r.header.Get("Location"))
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "a_session_test" && c.Value != "" {
			sessionCookie = "a_session_test=" + c.Value
		}
	}
	if e := target.Query().Get("error"); e != "" {
		var body map[string]any
		json.Unmarshal([]byte(e), &body)
		errType, _ = body["type"].(string)
	}
	return target, sessionCookie, errType
}

const oauthQuery = "success=http%3A%2F%2Flocalhost%2Fok&failure=http%3A%2F%2Flocalhost%2Ffail"

func newOAuthEnv(t *testing.T) (*env, *fakeProvider) {
	p := &fakeProvider{identities: map[string]oauth.Identity{
		"new":        {ID: "gh-1", Email: "New@Example.com", Name: "New User", EmailVerified: true},
		"unverified": {ID: "gh-2", Email: "local@example.com", EmailVerified: false},
		"verified":   {ID: "gh-3", Email: "local@example.com", EmailVerified: true},
		"vlocal":     {ID: "gh-4", Email: "vlocal@example.com", EmailVerified: true},
		"noemail":    {ID: "gh-5"},
		"link":       {ID: "gh-6", Email: "linkme@example.com", EmailVerified: false, Name: "Linked"},
	}}
	e := newEnv(t, func(c *core.Config) { c.OAuth2 = map[string]core.OAuthProvider{"github": p} })
	return e, p
}

func TestOAuth2NewUserAndReturn(t *testing.T) {
	t.Parallel()
	e, p := newOAuthEnv(t)
	f, r := e.startOAuth(t, oauthQuery+"&scopes[]=read:user&scopes[]=user:email")
	if r.status != 301 || !strings.HasPrefix(r.header.Get("Location"), "https://provider.test/authorize?") || r.header.Get("Cache-Control") == "" {
		t.Fatalf("start: %d %v", r.status, r.header)
	}
	if p.lastAuth.Get("scope") != "read:user user:email" || p.lastAuth.Get("verifier") == "" || f.nonce == "" {
		t.Errorf("auth request: %v", p.lastAuth)
	}
	target, cookie, errType := outcome(t, f.callback("new"))
	if target.String() != "http://localhost/ok" || cookie == "" || errType != "" {
		t.Fatalf("success redirect: %s %q %q", target, cookie, errType)
	}
	acc := e.do("GET", "/v1/account", "", cookieHeader(cookie)).json(t)
	if acc["email"] != "new@example.com" || acc["emailVerification"] != true || acc["name"] != "New User" || acc["passwordUpdate"] != "" {
		t.Fatalf("new account: %v", acc)
	}
	cur := e.do("GET", "/v1/account/sessions/current", "", cookieHeader(cookie)).json(t)
	if cur["provider"] != "github" || cur["providerUid"] != "gh-1" || cur["providerAccessToken"] != "at-new" || cur["providerRefreshToken"] != "rt-new" ||
		cur["providerAccessTokenExpiry"] != "2030-01-01T00:00:00.000+00:00" {
		t.Fatalf("session: %v", cur)
	}
	// Provider tokens are sealed at rest.
	stored, _ := e.store.SessionByID(context.Background(), cur["$id"].(string))
	if strings.Contains(stored.ProviderAccessToken, "at-new") || strings.Contains(stored.ProviderRefreshToken, "rt-new") {
		t.Fatalf("provider tokens stored in the clear: %q %q", stored.ProviderAccessToken, stored.ProviderRefreshToken)
	}
	// Refresh with the provider.
	r = e.do("PATCH", "/v1/account/sessions/current", "", cookieHeader(cookie))
	if r.status != 200 || r.json(t)["providerAccessToken"] != "refreshed-rt-new" || r.json(t)["providerRefreshToken"] != "rt-new" || r.json(t)["current"] != true {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	// The same identity signs into the same account again.
	f2, _ := e.startOAuth(t, oauthQuery)
	_, cookie2, _ := outcome(t, f2.callback("new"))
	if again := e.do("GET", "/v1/account", "", cookieHeader(cookie2)).json(t); again["$id"] != acc["$id"] {
		t.Fatalf("second sign-in reached %v", again["$id"])
	}
	// The default success page gets the session for mobile SDKs.
	f3, _ := e.startOAuth(t, "")
	target, _, _ = outcome(t, f3.callback("new"))
	if target.Path != "/auth/oauth2/success" || target.Query().Get("secret") == "" || target.Query().Get("key") != "a_session_test" {
		t.Fatalf("default success: %s", target)
	}
}

func TestOAuth2Linking(t *testing.T) {
	t.Parallel()
	e, _ := newOAuthEnv(t)
	e.signUp("local@example.com", "password123")
	// An unverified local account is never captured, whatever the provider says.
	for _, code := range []string{"unverified", "verified"} {
		f, _ := e.startOAuth(t, oauthQuery)
		target, cookie, errType := outcome(t, f.callback(code))
		if target.Path != "/fail" || cookie != "" || errType != "user_already_exists" {
			t.Fatalf("%s: %s %q %q", code, target, cookie, errType)
		}
	}
	// A verified local account is linked when the provider verified too.
	now := e.clock.Now()
	e.store.CreateUser(context.Background(), &core.User{ID: "vlocal", Email: "vlocal@example.com", EmailVerification: true, Status: true,
		CreatedAt: now, UpdatedAt: now, Registration: now})
	f, _ := e.startOAuth(t, oauthQuery)
	_, cookie, errType := outcome(t, f.callback("vlocal"))
	if acc := e.do("GET", "/v1/account", "", cookieHeader(cookie)).json(t); errType != "" || acc["$id"] != "vlocal" {
		t.Fatalf("verified link: %q %v", errType, acc)
	}
	// Signed in: the identity attaches to the signed-in account.
	mine, _ := e.signIn("local@example.com", "password123")
	f, _ = e.startOAuth(t, oauthQuery, mine)
	_, cookie, errType = outcome(t, f.callback("link"))
	local := e.do("GET", "/v1/account", "", cookieHeader(mine)).json(t)
	if errType != "" || e.do("GET", "/v1/account", "", cookieHeader(cookie)).json(t)["$id"] != local["$id"] {
		t.Fatalf("attach to signed-in user failed: %q", errType)
	}
	// That identity is never moved to another account.
	e.signUp("other@example.com", "password123")
	theirs, _ := e.signIn("other@example.com", "password123")
	f, _ = e.startOAuth(t, oauthQuery, theirs)
	if _, _, errType := outcome(t, f.callback("link")); errType != "user_already_exists" {
		t.Fatalf("identity moved: %q", errType)
	}
	// No email from the provider: no new account.
	f, _ = e.startOAuth(t, oauthQuery)
	if _, cookie, errType := outcome(t, f.callback("noemail")); cookie != "" || errType != "user_oauth2_provider_error" {
		t.Fatalf("no email: %q %q", cookie, errType)
	}
}

func TestOAuth2AnonymousConversion(t *testing.T) {
	t.Parallel()
	e, _ := newOAuthEnv(t)
	r := e.do("POST", "/v1/account/sessions/anonymous", "", nil)
	anon := strings.SplitN(r.header.Values("Set-Cookie")[1], ";", 2)[0]
	id := r.json(t)["userId"]
	f, _ := e.startOAuth(t, oauthQuery, anon)
	_, cookie, errType := outcome(t, f.callback("new"))
	acc := e.do("GET", "/v1/account", "", cookieHeader(cookie)).json(t)
	if errType != "" || acc["$id"] != id || acc["email"] != "new@example.com" || acc["name"] != "New User" {
		t.Fatalf("conversion: %q %v", errType, acc)
	}
}

func TestOAuth2BadInput(t *testing.T) {
	t.Parallel()
	e, _ := newOAuthEnv(t)
	html := func(r response, status int) {
		t.Helper()
		if r.status != status || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("want an HTML %d, got %d %s", status, r.status, r.body)
		}
	}
	r := e.do("GET", "/v1/account/sessions/oauth2/myspace?"+oauthQuery, "", nil)
	html(r, 400)
	html(e.do("GET", "/v1/account/sessions/oauth2/google?"+oauthQuery, "", nil), 412)
	html(e.do("GET", "/v1/account/sessions/oauth2/github?success=http%3A%2F%2Fevil.test%2F", "", nil), 400)
	html(e.do("GET", "/v1/account/sessions/oauth2/github?failure=javascript%3Aalert(1)", "", nil), 400)
	many := strings.Repeat("scopes[]=a&", 101)
	html(e.do("GET", "/v1/account/sessions/oauth2/github?"+many, "", nil), 400)

	// Tampered, unbound, expired and replayed states.
	f, _ := e.startOAuth(t, oauthQuery)
	good := f.state
	f.state = good[:len(good)-2] + "xx"
	html(f.callback("new"), 400)
	f.state, f.nonce = good, "someone-elses-nonce"
	html(f.callback("new"), 400)
	f2, _ := e.startOAuth(t, oauthQuery)
	if _, c, _ := outcome(t, f2.callback("new")); c == "" {
		t.Fatal("a good flow failed")
	}
	html(f2.callback("new"), 400) // replay
	f3, _ := e.startOAuth(t, oauthQuery)
	e.clock.Advance(11 * time.Minute)
	html(f3.callback("new"), 400)

	// Consent denied: back to failure with the reason.
	f4, _ := e.startOAuth(t, oauthQuery)
	q := url.Values{"error": {"access_denied"}, "state": {f4.state}}
	r = e.do("GET", "/v1/account/sessions/oauth2/callback/github/test?"+q.Encode(), "", map[string]string{"Cookie": "a_oauth_test=" + f4.nonce})
	if target, cookie, errType := outcome(t, r); target.Path != "/fail" || cookie != "" || errType != "user_oauth2_provider_error" {
		t.Fatalf("denied: %s %q %q", target, cookie, errType)
	}
	// A code the provider rejects.
	f5, _ := e.startOAuth(t, oauthQuery)
	if target, _, errType := outcome(t, f5.callback("bogus")); target.Path != "/fail" || errType == "" {
		t.Fatalf("bad code: %s %q", target, errType)
	}
	// Another project's callback is unknown.
	html(e.do("GET", "/v1/account/sessions/oauth2/callback/github/other?code=x", "", nil), 404)
	// Non-OAuth sessions have nothing to refresh.
	e.signUp("pw@example.com", "password123")
	c, _ := e.signIn("pw@example.com", "password123")
	checkError(t, e.do("PATCH", "/v1/account/sessions/current", "", cookieHeader(c)), 400, "general_argument_invalid", "")
}

func TestOAuth2FormPostFromProviderOrigin(t *testing.T) {
	t.Parallel()
	e, _ := newOAuthEnv(t)
	f, _ := e.startOAuth(t, oauthQuery)
	form := url.Values{"code": {"new"}, "state": {f.state}}.Encode()
	req := httptest.NewRequest("POST", "http://localhost:8080/v1/account/sessions/oauth2/callback/github/test", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://appleid.apple.com")
	req.Header.Set("Cookie", "a_oauth_test="+f.nonce)
	rec := httptest.NewRecorder()
	e.svc.APIHandler().ServeHTTP(rec, req)
	if _, cookie, errType := outcome(t, response{status: rec.Code, header: rec.Header(), body: rec.Body.String()}); cookie == "" || errType != "" {
		t.Fatalf("form_post: %q %q", cookie, errType)
	}
}

func TestOAuth2BlockedUser(t *testing.T) {
	t.Parallel()
	e, _ := newOAuthEnv(t)
	f, _ := e.startOAuth(t, oauthQuery)
	_, cookie, _ := outcome(t, f.callback("new"))
	e.do("PATCH", "/v1/account/status", "", cookieHeader(cookie))
	f2, _ := e.startOAuth(t, oauthQuery)
	if _, c, errType := outcome(t, f2.callback("new")); c != "" || errType != "user_blocked" {
		t.Fatalf("blocked: %q %q", c, errType)
	}
}

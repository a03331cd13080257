package pages_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/pages"
)

var (
	inputPattern = regexp.MustCompile(`<input [^>]*>`)
	idPattern    = regexp.MustCompile(` id="([^"]+)"`)
	describedBy  = regexp.MustCompile(` aria-describedby="([^"]+)"`)
)

// checkPage checks what every page must have: the headers, the language,
// one h1, and a label for every visible input; every id an input's
// aria-describedby names exists.
func checkPage(t *testing.T, r resp) {
	t.Helper()
	h := r.header
	for name, value := range map[string]string{
		"Content-Security-Policy": pages.CSP,
		"Cache-Control":           "no-store",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
		"Content-Type":            "text/html; charset=utf-8",
	} {
		if got := h.Get(name); got != value {
			t.Errorf("%s = %q, want %q", name, got, value)
		}
	}
	for _, p := range []string{`<html lang="en">`, `<meta name="viewport"`} {
		if !strings.Contains(r.body, p) {
			t.Errorf("page lacks %s", p)
		}
	}
	if n := strings.Count(r.body, "<h1"); n != 1 {
		t.Errorf("%d h1 headings", n)
	}
	if strings.Contains(r.body, "<script>") || strings.Contains(r.body, "style=") || strings.Contains(r.body, "<style") {
		t.Error("inline script or style: the CSP forbids it")
	}
	for _, in := range inputPattern.FindAllString(r.body, -1) {
		if strings.Contains(in, `type="hidden"`) {
			continue
		}
		m := idPattern.FindStringSubmatch(in)
		if m == nil || !strings.Contains(r.body, `<label for="`+m[1]+`"`) {
			t.Errorf("input without a label: %s", in)
		}
		if d := describedBy.FindStringSubmatch(in); d != nil {
			for _, id := range strings.Fields(d[1]) {
				if !strings.Contains(r.body, ` id="`+id+`"`) {
					t.Errorf("aria-describedby names a missing %q: %s", id, in)
				}
			}
		}
	}
}

func TestEveryPageRenders(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil, nil)
	b := s.browser()
	for _, tc := range []struct {
		path  string
		parts []string
	}{
		{"/auth/signin", []string{"Sign in to Demo Site", `action="/auth/signin"`, `action="/auth/magic-link"`, `action="/auth/phone"`, "Continue with GitHub"}},
		{"/auth/signup?return=/app", []string{"Create an account on Demo Site", `name="return" value="/app"`}},
		{"/auth/forgot", []string{"Forgot your password?", `name="email"`}},
		{"/auth/reset?userId=u&secret=s", []string{"Choose a new password", `name="passwordAgain"`, `name="secret" value="s"`}},
		{"/auth/reset", []string{"This link is incomplete"}},
		{"/auth/verify?userId=u&secret=s", []string{"Verify my email address", `src="/auth/pages.js"`, "data-autosubmit"}},
		{"/auth/magic-url?userId=u&secret=s&return=/x", []string{`name="userId" value="u"`, `name="return" value="/x"`, "data-autosubmit"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := b.get(tc.path)
			want(t, r, http.StatusOK, tc.parts...)
			checkPage(t, r)
			if head := b.do(http.MethodHead, tc.path, nil); head.status != http.StatusOK || head.body != "" {
				t.Errorf("HEAD: %d %q", head.status, head.body)
			}
		})
	}
	// Without a session the account and second-factor pages send the
	// browser to sign in.
	if r := b.get("/auth/mfa?return=/x"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/auth/signin?return=%2Fx" {
		t.Errorf("mfa without a session: %d %q", r.status, r.header.Get("Location"))
	}
	r := b.get("/auth/account")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/auth/signin?return=%2Fauth%2Faccount" {
		t.Errorf("account without a session: %d %q", r.status, r.header.Get("Location"))
	}
	// Other paths under the prefix are not the pages': they go on.
	want(t, b.get("/auth/nothing-here"), http.StatusOK, "app /auth/nothing-here")
	for _, f := range []string{"/auth/style.css", "/auth/pages.js"} {
		if r := b.get(f); r.status != http.StatusOK || r.header.Get("X-Content-Type-Options") != "nosniff" || r.body == "" {
			t.Errorf("%s: %d", f, r.status)
		}
	}
	r = b.do(http.MethodPut, "/auth/signin", url.Values{})
	if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("PUT: %d %q", r.status, r.header.Get("Allow"))
	}
}

func TestOnlyConfiguredMethods(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil, func(c *pages.Config) { c.MagicURL, c.Phone, c.OAuth2 = false, false, nil })
	r := s.browser().get("/auth/signin")
	want(t, r, http.StatusOK, `action="/auth/signin"`)
	for _, absent := range []string{"magic-link", `action="/auth/phone"`, "Continue with"} {
		if strings.Contains(r.body, absent) {
			t.Errorf("sign-in page shows %q, which is off", absent)
		}
	}
	s = newSite(t, nil, func(c *pages.Config) { c.EmailPassword, c.MagicURL, c.Phone, c.OAuth2 = false, false, false, nil })
	want(t, s.browser().get("/auth/signin"), http.StatusOK, "No way of signing in is switched on")
}

func TestSignUpSignInSignOut(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil, nil)
	b := s.browser()
	r := b.post("/auth/signup", url.Values{"name": {"Ada"}, "email": {"ada@example.com"}, "password": {"password123"}, "return": {"/app/page?x=1"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/app/page?x=1" {
		t.Fatalf("sign-up: %d %q %s", r.status, r.header.Get("Location"), r.body)
	}
	if !strings.Contains(strings.Join(r.header.Values("Set-Cookie"), "\n"), "a_session_test=") {
		t.Fatalf("sign-up set no session cookie: %v", r.header)
	}
	acc := b.get("/auth/account")
	want(t, acc, http.StatusOK, "ada@example.com", "(not verified)", `value="Ada"`, "(this device)", "Send me a verification email")
	checkPage(t, acc)

	// The same address again: the API's error, next to the email field.
	other := s.browser()
	r = other.post("/auth/signup", url.Values{"email": {"ada@example.com"}, "password": {"password123"}})
	want(t, r, http.StatusConflict, `id="signup-email-error"`, `aria-describedby="signup-email-error"`, `value="ada@example.com"`)
	checkPage(t, r)

	r = b.post("/auth/signout", url.Values{})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/auth/signin") {
		t.Fatalf("sign-out: %d %q", r.status, r.header.Get("Location"))
	}
	want(t, b.get(r.header.Get("Location")), http.StatusOK, "You are signed out.")
	if r := b.get("/auth/account"); r.status != http.StatusSeeOther {
		t.Fatalf("account after sign-out: %d", r.status)
	}

	r = b.post("/auth/signin", url.Values{"email": {"ada@example.com"}, "password": {"wrong-password"}, "return": {"/deep/link"}})
	want(t, r, http.StatusUnauthorized, `id="signin-password-error"`, `aria-invalid="true"`, `value="ada@example.com"`, `name="return" value="/deep/link"`)
	if strings.Contains(r.body, "wrong-password") {
		t.Error("the page repeats the password")
	}
	checkPage(t, r)
	r = b.post("/auth/signin", url.Values{"email": {"ada@example.com"}, "password": {"password123"}, "return": {"/deep/link"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/deep/link" {
		t.Fatalf("sign-in: %d %q", r.status, r.header.Get("Location"))
	}
	// The sign-in page sends someone signed in straight on.
	if r := b.get("/auth/signin?return=/deep/link"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/deep/link" {
		t.Fatalf("sign-in page while signed in: %d %q", r.status, r.header.Get("Location"))
	}
	// Signing in again while signed in goes on to the return path.
	r = b.post("/auth/signin", url.Values{"email": {"ada@example.com"}, "password": {"password123"}, "return": {"/again"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/again" {
		t.Fatalf("second sign-in: %d %q", r.status, r.header.Get("Location"))
	}
	// An invalid email: the API's message, next to the field.
	r = s.browser().post("/auth/signin", url.Values{"email": {"not-an-email"}, "password": {"password123"}})
	want(t, r, http.StatusBadRequest, `id="signin-email-error"`)
}

func TestReturnPathStaysOnSite(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil, nil)
	b := s.browser()
	b.signUp("ret@example.com", "password123")
	for _, ret := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "/\t/evil.example", "evil.example", "javascript:alert(1)", "/%0a/evil"} {
		r := b.post("/auth/signin", url.Values{"email": {"ret@example.com"}, "password": {"password123"}, "return": {ret}})
		loc := r.header.Get("Location")
		if r.status != http.StatusSeeOther || (loc != "/" && loc != ret) || strings.HasPrefix(loc, "//") || strings.Contains(loc, "evil.example") && !strings.HasPrefix(loc, "/%") {
			t.Errorf("return %q: %d %q", ret, r.status, loc)
		}
	}
	// The return path written into a page is the cleaned one.
	r := s.browser().get("/auth/signin?return=//evil.example")
	want(t, r, http.StatusOK, `name="return" value="/"`)
}

func TestCleanReturn(t *testing.T) {
	t.Parallel()
	for in, out := range map[string]string{
		"":                              "/",
		"/":                             "/",
		"/app?x=1#top":                  "/app?x=1#top",
		"//evil.example":                "/",
		"/\\evil.example":               "/",
		"/a\\b":                         "/",
		"/\t/evil":                      "/",
		"/a\nb":                         "/",
		"https://evil":                  "/",
		"relative":                      "/",
		"/" + strings.Repeat("a", 3000): "/",
	} {
		if got := pages.CleanReturn(in); got != out {
			t.Errorf("CleanReturn(%q) = %q, want %q", in, got, out)
		}
	}
}

func TestForgotAndReset(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil, nil)
	b := s.browser()
	b.signUp("reset@example.com", "password123")
	want(t, s.browser().post("/auth/forgot", url.Values{"email": {"reset@example.com"}}), http.StatusOK, "If an account exists")
	// An unknown address gets the same answer.
	want(t, s.browser().post("/auth/forgot", url.Values{"email": {"nobody@example.com"}}), http.StatusOK, "If an account exists")
	want(t, s.browser().post("/auth/forgot", url.Values{"email": {"bad"}}), http.StatusBadRequest, `id="forgot-email-error"`)

	link := linkOf(t, s.box.mail(t, 1))
	if link.Path != "/auth/reset" || "http://"+link.Host != s.srv.URL {
		t.Fatalf("recovery mail links to %s, not the reset page", link)
	}
	p := s.browser()
	page := p.get(link.RequestURI())
	want(t, page, http.StatusOK, `name="userId" value="`+link.Query().Get("userId")+`"`)
	checkPage(t, page)
	form := url.Values{"userId": {link.Query().Get("userId")}, "secret": {link.Query().Get("secret")},
		"password": {"newpassword1"}, "passwordAgain": {"newpassword2"}}
	r := p.post("/auth/reset", form)
	want(t, r, http.StatusBadRequest, `id="reset-again-error"`, `aria-describedby="reset-again-error"`)
	checkPage(t, r)
	form.Set("passwordAgain", "newpassword1")
	want(t, p.post("/auth/reset", form), http.StatusOK, "Your password has been changed")
	// The link is spent.
	want(t, p.post("/auth/reset", form), http.StatusUnauthorized, "This code or link is not valid")
	r = p.post("/auth/signin", url.Values{"email": {"reset@example.com"}, "password": {"newpassword1"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("sign-in with the new password: %d", r.status)
	}
}

func TestVerifyEmail(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil, nil)
	b := s.browser()
	b.signUp("verify@example.com", "password123")
	r := b.post("/auth/account/verification", url.Values{})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/auth/account?done=verification" {
		t.Fatalf("send verification: %d %q", r.status, r.header.Get("Location"))
	}
	want(t, b.get("/auth/account?done=verification"), http.StatusOK, "We sent you an email")
	link := linkOf(t, s.box.mail(t, 1))
	if link.Path != "/auth/verify" {
		t.Fatalf("verification mail links to %s", link)
	}
	// Opening the link alone verifies nothing (mail scanners open links).
	want(t, b.get(link.RequestURI()), http.StatusOK, "Verify my email address")
	want(t, b.get("/auth/account"), http.StatusOK, "(not verified)")
	bad := url.Values{"userId": {link.Query().Get("userId")}, "secret": {"wrong"}}
	want(t, b.post("/auth/verify", bad), http.StatusUnauthorized, "This code or link is not valid")
	want(t, b.post("/auth/verify", url.Values{"userId": {link.Query().Get("userId")}, "secret": {link.Query().Get("secret")}}),
		http.StatusOK, "Your email address is verified")
	want(t, b.get("/auth/account"), http.StatusOK, "(verified)")
}

func TestMagicLink(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil, nil)
	b := s.browser()
	want(t, b.post("/auth/magic-link", url.Values{"email": {"magic@example.com"}, "return": {"/after/magic"}}), http.StatusOK, "We sent you a link")
	want(t, b.post("/auth/magic-link", url.Values{"email": {"nope"}}), http.StatusBadRequest, `id="magic-email-error"`)
	link := linkOf(t, s.box.mail(t, 1))
	if link.Path != "/auth/magic-url" || link.Query().Get("return") != "/after/magic" {
		t.Fatalf("magic link: %s", link)
	}
	p := s.browser()
	want(t, p.get(link.RequestURI()), http.StatusOK, `name="return" value="/after/magic"`)
	r := p.post("/auth/magic-url", url.Values{"userId": {link.Query().Get("userId")}, "secret": {link.Query().Get("secret")}, "return": {"/after/magic"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/after/magic" {
		t.Fatalf("magic-url: %d %q %s", r.status, r.header.Get("Location"), r.body)
	}
	want(t, p.get("/auth/account"), http.StatusOK, "magic@example.com")
	want(t, s.browser().post("/auth/magic-url", url.Values{"userId": {link.Query().Get("userId")}, "secret": {link.Query().Get("secret")}}),
		http.StatusUnauthorized, "This code or link is not valid")
}

func TestPhoneCode(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil, nil)
	b := s.browser()
	r := b.post("/auth/phone", url.Values{"phone": {"+14155550100"}, "return": {"/by/phone"}})
	want(t, r, http.StatusOK, "Enter the code we texted you", `name="return" value="/by/phone"`)
	checkPage(t, r)
	userID := regexp.MustCompile(`name="userId" value="([^"]+)"`).FindStringSubmatch(r.body)
	code := regexp.MustCompile(`\d{6}`).FindString(s.box.text(t, 1))
	if userID == nil || code == "" {
		t.Fatalf("no user id or code: %s", r.body)
	}
	r = b.post("/auth/phone-code", url.Values{"userId": {userID[1]}, "secret": {"000000"}, "return": {"/by/phone"}})
	want(t, r, http.StatusUnauthorized, `id="code-secret-error"`, `name="userId" value="`+userID[1]+`"`)
	r = b.post("/auth/phone-code", url.Values{"userId": {userID[1]}, "secret": {code}, "return": {"/by/phone"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/by/phone" {
		t.Fatalf("phone code: %d %q %s", r.status, r.header.Get("Location"), r.body)
	}
	want(t, b.post("/auth/phone", url.Values{"phone": {"0123"}}), http.StatusBadRequest, `id="phone-phone-error"`)
}

func TestAccountActions(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil, nil)
	b := s.browser()
	b.signUp("acct@example.com", "password123")
	other := s.browser()
	if r := other.post("/auth/signin", url.Values{"email": {"acct@example.com"}, "password": {"password123"}}); r.status != http.StatusSeeOther {
		t.Fatal(r.body)
	}

	r := b.post("/auth/account/name", url.Values{"name": {"Ada Lovelace"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("name: %d %s", r.status, r.body)
	}
	want(t, b.get("/auth/account?done=name"), http.StatusOK, `value="Ada Lovelace"`, "Your name has been saved.")
	want(t, b.post("/auth/account/name", url.Values{"name": {strings.Repeat("n", 200)}}), http.StatusBadRequest, `id="name-name-error"`)

	r = b.post("/auth/account/password", url.Values{"oldPassword": {"not-it-at-all"}, "password": {"password456"}})
	want(t, r, http.StatusUnauthorized, `id="password-old-error"`, `aria-describedby="password-old-error"`)
	checkPage(t, r)
	if r := b.post("/auth/account/password", url.Values{"oldPassword": {"password123"}, "password": {"password456"}}); r.status != http.StatusSeeOther {
		t.Fatalf("password: %d %s", r.status, r.body)
	}

	// Two sessions listed; signing the other one out ends it.
	acc := b.get("/auth/account")
	ids := regexp.MustCompile(`<form method="post" action="/auth/account/session"><input type="hidden" name="sessionId" value="([^"]+)"`).FindAllStringSubmatch(acc.body, -1)
	if len(ids) != 1 || strings.Count(acc.body, "(this device)") != 1 {
		t.Fatalf("session list: %s", acc.body)
	}
	want(t, acc, http.StatusOK, "Security log", "session.create")
	if r := b.post("/auth/account/session", url.Values{"sessionId": {ids[0][1]}}); r.status != http.StatusSeeOther {
		t.Fatalf("sign out one: %d %s", r.status, r.body)
	}
	if r := other.get("/auth/account"); r.status != http.StatusSeeOther {
		t.Fatalf("signed-out session still sees the account: %d", r.status)
	}
	want(t, b.post("/auth/account/session", url.Values{"sessionId": {"../../x"}}), http.StatusNotFound)
	// Sign out everywhere.
	if r := other.post("/auth/signin", url.Values{"email": {"acct@example.com"}, "password": {"password456"}}); r.status != http.StatusSeeOther {
		t.Fatal(r.body)
	}
	if r := b.post("/auth/account/sessions", url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("sign out everywhere: %d", r.status)
	}
	for _, who := range []*browser{b, other} {
		if r := who.get("/auth/account"); r.status != http.StatusSeeOther {
			t.Fatalf("a session survived sign-out everywhere: %d", r.status)
		}
	}
}

func TestCrossSiteFormRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil, nil)
	b := s.browser()
	b.origin = "https://evil.example"
	r := b.post("/auth/signup", url.Values{"email": {"x@example.com"}, "password": {"password123"}})
	want(t, r, http.StatusForbidden, "sent from another site")
	if strings.Contains(strings.Join(r.header.Values("Set-Cookie"), ""), "a_session") {
		t.Error("a refused post set a session")
	}
}

func TestRateLimitAndBlockedInWords(t *testing.T) {
	t.Parallel()
	s := newSite(t, func(c *core.Config) {
		c.RateLimits = core.RateLimitConfig{Limits: map[string]int{"sessions.email": 2}}
	}, nil)
	b := s.browser()
	var r resp
	for range 3 {
		r = b.post("/auth/signin", url.Values{"email": {"limit@example.com"}, "password": {"password123"}})
	}
	want(t, r, http.StatusTooManyRequests, "Too many attempts", `role="alert"`)

	s = newSite(t, nil, nil)
	b = s.browser()
	b.signUp("blocked@example.com", "password123")
	if r := b.post("/auth/signout", url.Values{}); r.status != http.StatusSeeOther {
		t.Fatal(r.body)
	}
	u, _ := s.svc.Users().ListUsers(t.Context(), "", 10)
	if _, err := s.svc.Users().SetUserStatus(t.Context(), u[0].ID, false); err != nil {
		t.Fatal(err)
	}
	want(t, b.post("/auth/signin", url.Values{"email": {"blocked@example.com"}, "password": {"password123"}}),
		http.StatusUnauthorized, "This account has been blocked")
}

func TestMFAChallengePage(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil, nil)
	b := s.browser()
	b.signUp("mfa@example.com", "password123")
	// Set up TOTP through the API, as an app would.
	cookies := b.client.Jar.Cookies(mustURL(t, s.srv.URL))
	api := func(method, path, body string) resp {
		req, _ := http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Appwrite-Response-Format", "1.6.0")
		for _, c := range cookies {
			req.AddCookie(c)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		buf := new(strings.Builder)
		_, _ = bufCopy(buf, res)
		return resp{status: res.StatusCode, body: buf.String()}
	}
	secret := regexp.MustCompile(`"secret":"([A-Z2-7]+)"`).FindStringSubmatch(api("POST", "/v1/account/mfa/authenticators/totp", "").body)
	if secret == nil {
		t.Fatal("no TOTP secret")
	}
	if r := api("PUT", "/v1/account/mfa/authenticators/totp", `{"otp":"`+totpCode(t, secret[1], s.clock.Now())+`"}`); r.status != 200 {
		t.Fatalf("verify authenticator: %s", r.body)
	}
	if r := api("PATCH", "/v1/account/mfa", `{"mfa":true}`); r.status != 200 {
		t.Fatalf("mfa on: %s", r.body)
	}
	p := s.browser()
	if r := p.post("/auth/signin", url.Values{"email": {"mfa@example.com"}, "password": {"password123"}, "return": {"/secret"}}); r.status != http.StatusSeeOther {
		t.Fatal(r.body)
	}
	r := p.get("/auth/account")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/auth/mfa?") {
		t.Fatalf("account with a pending factor: %d %q", r.status, r.header.Get("Location"))
	}
	page := p.get("/auth/mfa?return=/secret")
	want(t, page, http.StatusOK, `value="totp"`)
	checkPage(t, page)
	if strings.Contains(page.body, `value="recoverycode"`) || strings.Contains(page.body, "Email me a code") {
		t.Error("the page offers factors the account does not have")
	}
	r = p.post("/auth/mfa", url.Values{"factor": {"totp"}, "otp": {"000000"}, "return": {"/secret"}})
	want(t, r, http.StatusUnauthorized, `id="totp-otp-error"`)
	checkPage(t, r)
	s.clock.Advance(60e9)
	r = p.post("/auth/mfa", url.Values{"factor": {"totp"}, "otp": {totpCode(t, secret[1], s.clock.Now())}, "return": {"/secret"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/secret" {
		t.Fatalf("mfa: %d %q %s", r.status, r.header.Get("Location"), r.body)
	}
	want(t, p.get("/auth/account"), http.StatusOK, "mfa@example.com")
}

func TestOAuth2Buttons(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil, nil)
	r := s.browser().get("/auth/signin?return=/app")
	m := regexp.MustCompile(`href="(/v1/account/sessions/oauth2/github\?[^"]+)"`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no GitHub button: %s", r.body)
	}
	u := mustURL(t, strings.ReplaceAll(m[1], "&amp;", "&"))
	q := u.Query()
	if q.Get("success") != s.srv.URL+"/app" || q.Get("failure") != s.srv.URL+"/auth/signin?return=%2Fapp" || q.Get("project") != "test" {
		t.Errorf("button: %v", q)
	}
	// A failed OAuth2 sign-in comes back with the error in words.
	r = s.browser().get("/auth/signin?error=" + url.QueryEscape(`{"message":"The provider refused.","type":"user_oauth2_provider_error","code":500}`))
	want(t, r, http.StatusOK, "The provider refused.", `role="alert"`)
}

func TestOperatorOverrides(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "signin.html"), []byte(`{{define "title"}}Hello{{end}}{{define "main"}}<h1>Welcome to {{.Product}}</h1>{{end}}`), 0o644)
	os.WriteFile(filepath.Join(dir, "README.txt"), []byte("not a template"), 0o644)
	css := filepath.Join(dir, "site.css")
	os.WriteFile(css, []byte("body{color:#000}"), 0o644)
	logo := filepath.Join(dir, "logo.svg")
	os.WriteFile(logo, []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 0o644)
	s := newSite(t, nil, func(c *pages.Config) { c.Templates, c.CSS, c.Logo, c.Product = dir, css, logo, "Acme" })
	b := s.browser()
	r := b.get("/auth/signin")
	want(t, r, http.StatusOK, "<h1>Welcome to Acme</h1>", `<img class="logo" src="/auth/logo" alt="">`, "<title>Hello – Acme</title>")
	want(t, b.get("/auth/signup"), http.StatusOK, "Create an account on Acme")
	if r := b.get("/auth/style.css"); r.body != "body{color:#000}" {
		t.Errorf("css: %q", r.body)
	}
	if r := b.get("/auth/logo"); r.header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(r.header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("logo: %v", r.header)
	}

	for name, cfg := range map[string]pages.Config{
		"unknown template": {Templates: writeFile(t, "signon.html", "x")},
		"bad template":     {Templates: writeFile(t, "signin.html", "{{define")},
		"missing dir":      {Templates: filepath.Join(dir, "absent")},
		"missing css":      {CSS: filepath.Join(dir, "absent.css")},
		"logo type":        {Logo: css},
		"prefix":           {Prefix: "auth"},
		"prefix under API": {Prefix: "/v1/pages/"},
	} {
		if _, err := pages.New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPrefix(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil, func(c *pages.Config) { c.Prefix = "/login/" })
	b := s.browser()
	r := b.get("/login/signin")
	want(t, r, http.StatusOK, `action="/login/signin"`, `href="/login/style.css"`)
	if got := b.get("/auth/signin"); got.body != "app /auth/signin" {
		t.Errorf("/auth/ still served: %q", got.body)
	}
	if s.pages.SignInURL("//evil") != "/login/signin?return=%2F" {
		t.Errorf("SignInURL: %q", s.pages.SignInURL("//evil"))
	}
}

func writeFile(t *testing.T, name, content string) string {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
	return dir
}

func mustURL(t *testing.T, raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestMagicLinkWithoutURLLandsOnThePage: a magic link an SDK asked for
// without a url (mobile apps) lands on the hosted page, which signs in.
func TestMagicLinkWithoutURLLandsOnThePage(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil, nil)
	req, _ := http.NewRequest("POST", s.srv.URL+"/v1/account/sessions/magic-url", strings.NewReader(`{"userId":"unique()","email":"sdk@example.com"}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("magic URL: %v %v", res, err)
	}
	res.Body.Close()
	link := linkOf(t, s.box.mail(t, 1))
	if link.Path != "/auth/magic-url" {
		t.Fatalf("link: %s", link)
	}
	b := s.browser()
	want(t, b.get(link.RequestURI()), http.StatusOK, "data-autosubmit")
	r := b.post("/auth/magic-url", url.Values{"userId": {link.Query().Get("userId")}, "secret": {link.Query().Get("secret")}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("sign-in: %d %q", r.status, r.header.Get("Location"))
	}
	want(t, b.get("/auth/account"), http.StatusOK, "sdk@example.com")
}

// TestMFAEmailCode: with a verified email as second factor, the page
// sends a code and takes it.
func TestMFAEmailCode(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil, nil)
	b := s.browser()
	b.signUp("mfa-mail@example.com", "password123")
	b.post("/auth/account/verification", url.Values{})
	link := linkOf(t, s.box.mail(t, 1))
	want(t, b.post("/auth/verify", url.Values{"userId": {link.Query().Get("userId")}, "secret": {link.Query().Get("secret")}}), http.StatusOK)
	req, _ := http.NewRequest("PATCH", s.srv.URL+"/v1/account/mfa", strings.NewReader(`{"mfa":true}`))
	req.Header.Set("Content-Type", "application/json")
	for _, c := range b.client.Jar.Cookies(mustURL(t, s.srv.URL)) {
		req.AddCookie(c)
	}
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("mfa on: %v %v", res, err)
	}

	p := s.browser()
	p.post("/auth/signin", url.Values{"email": {"mfa-mail@example.com"}, "password": {"password123"}})
	page := p.get("/auth/mfa?return=/mailed")
	want(t, page, http.StatusOK, "Email me a code")
	r := p.post("/auth/mfa/send", url.Values{"factor": {"email"}, "return": {"/mailed"}})
	want(t, r, http.StatusOK, `name="challengeId"`, `<label for="email-otp">`)
	checkPage(t, r)
	challenge := regexp.MustCompile(`name="challengeId" value="([^"]+)"`).FindStringSubmatch(r.body)[1]
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(s.box.mail(t, 2))
	r = p.post("/auth/mfa", url.Values{"factor": {"email"}, "challengeId": {challenge}, "otp": {"000000"}, "return": {"/mailed"}})
	want(t, r, http.StatusUnauthorized, `id="email-otp-error"`, `value="`+challenge+`"`)
	r = p.post("/auth/mfa", url.Values{"factor": {"email"}, "challengeId": {challenge}, "otp": {code}, "return": {"/mailed"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/mailed" {
		t.Fatalf("email code: %d %q %s", r.status, r.header.Get("Location"), r.body)
	}
	want(t, p.get("/auth/account"), http.StatusOK, "mfa-mail@example.com")
}

package account_test

import (
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// tokenSession spends userId and secret at POST /sessions/token in
// format 1.5 (so the session carries its factors).
func (e *env) tokenSession(userID, secret string) response {
	e.t.Helper()
	return e.do("POST", "/v1/account/sessions/token", `{"userId":"`+userID+`","secret":"`+secret+`"}`, withFormat(nil, "1.5.0"))
}

// signedIn checks a 201 session of provider with factors, and returns
// the account its cookie reaches.
func signedIn(t *testing.T, e *env, r response, provider, factor string) map[string]any {
	t.Helper()
	if r.status != 201 {
		t.Fatalf("session: %d %s", r.status, r.body)
	}
	s := r.json(t)
	if s["provider"] != provider || s["current"] != true {
		t.Fatalf("session: %s", r.body)
	}
	if f, _ := s["factors"].([]any); len(f) == 0 || f[0] != factor {
		t.Errorf("factors %v, want %s first", s["factors"], factor)
	}
	var cookie string
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "a_session_test" {
			cookie = "a_session_test=" + c.Value
		}
	}
	if cookie == "" {
		t.Fatalf("no session cookie: %v", r.header)
	}
	acc := e.do("GET", "/v1/account", "", cookieHeader(cookie)).json(t)
	if acc["$id"] != s["userId"] {
		t.Fatalf("cookie reaches %v, session is %v's", acc["$id"], s["userId"])
	}
	return acc
}

func TestMagicURLToken(t *testing.T) {
	t.Parallel()
	plain := newEnv(t, nil)
	checkError(t, plain.do("POST", "/v1/account/tokens/magic-url", `{"userId":"unique()","email":"m@example.com"}`, nil), 503, "general_smtp_disabled", "SMTP disabled")

	e, box := newDeliveryEnv(t, nil)
	checkError(t, e.do("POST", "/v1/account/tokens/magic-url", `{"userId":"unique()","email":"m@example.com","url":"http://evil.test/x"}`, nil), 400, "general_argument_invalid", "")
	checkError(t, e.do("POST", "/v1/account/tokens/magic-url", `{"userId":"unique()","email":"m@example.com","phrase":"yes"}`, nil), 400, "general_argument_invalid", "Invalid phrase: Value must be a valid boolean")

	// A given id creates the user; the phrase comes back and is in the mail.
	r := e.do("POST", "/v1/account/tokens/magic-url", `{"userId":"magic-1","email":"M@example.com","url":"http://localhost:3000/done","phrase":true}`, withFormat(nil, "1.5.0"))
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	tok := r.json(t)
	phrase, _ := tok["phrase"].(string)
	if tok["userId"] != "magic-1" || tok["secret"] != "" || !regexp.MustCompile(`^[A-Z][a-z]+ [A-Z][a-z]+$`).MatchString(phrase) {
		t.Fatalf("token: %s", r.body)
	}
	m := box.waitMail(t, 1)
	u, q := linkParams(t, m)
	if m.Subject != "Login" || u.Host != "localhost:3000" || q.Get("userId") != "magic-1" || !strings.Contains(m.Text, "Security phrase: "+phrase) || !strings.Contains(m.HTML, phrase) {
		t.Fatalf("mail: %+v", m)
	}
	secret := q.Get("secret")

	// Misses, none of which spends the secret.
	checkError(t, e.tokenSession("nobody", secret), 401, "user_invalid_token", "")
	checkError(t, e.tokenSession("magic-1", strings.Repeat("0", 64)), 401, "user_invalid_token", "")
	other := e.signUp("other@example.com", "password123")
	checkError(t, e.tokenSession(other, secret), 401, "user_invalid_token", "")
	checkError(t, e.do("POST", "/v1/account/sessions/token", `{"userId":"magic-1"}`, nil), 400, "general_argument_invalid", `Param "secret" is not optional.`)

	acc := signedIn(t, e, e.tokenSession("magic-1", secret), "magic-url", "email")
	if acc["email"] != "m@example.com" || acc["emailVerification"] != true {
		t.Fatalf("account: %v", acc)
	}
	checkError(t, e.tokenSession("magic-1", secret), 401, "user_invalid_token", "")

	// The email now belongs to magic-1: another id finds it; no phrase
	// unless asked.
	r = e.do("POST", "/v1/account/tokens/magic-url", `{"userId":"unique()","email":"m@example.com"}`, withFormat(nil, "1.5.0"))
	if r.status != 201 || r.json(t)["userId"] != "magic-1" || r.json(t)["phrase"] != "" {
		t.Fatalf("existing user: %s", r.body)
	}
	m = box.waitMail(t, 2)
	if strings.Contains(m.Text, "phrase") {
		t.Errorf("phrase in a mail that asked for none: %s", m.Text)
	}
	_, q = linkParams(t, m)
	// The link also works on the 1.3 route, and then no longer here.
	if r := e.do("PUT", "/v1/account/sessions/magic-url", confirmBody(q), nil); r.status != 200 {
		t.Fatalf("1.3 completion: %d %s", r.status, r.body)
	}
	checkError(t, e.tokenSession("magic-1", q.Get("secret")), 401, "user_invalid_token", "")

	// An hour and a second later a link is refused.
	e.do("POST", "/v1/account/tokens/magic-url", `{"userId":"unique()","email":"m@example.com"}`, nil)
	_, q = linkParams(t, box.waitMail(t, 3))
	e.clock.Advance(time.Hour + time.Second)
	checkError(t, e.tokenSession("magic-1", q.Get("secret")), 401, "user_invalid_token", "")

	// A taken id for a new email is a conflict.
	checkError(t, e.do("POST", "/v1/account/tokens/magic-url", `{"userId":"magic-1","email":"new@example.com"}`, nil), 409, "user_already_exists", "")
}

func TestEmailToken(t *testing.T) {
	t.Parallel()
	plain := newEnv(t, nil)
	checkError(t, plain.do("POST", "/v1/account/tokens/email", `{"userId":"unique()","email":"o@example.com"}`, nil), 503, "general_smtp_disabled", "SMTP disabled")

	e, box := newDeliveryEnv(t, nil)
	checkError(t, e.do("POST", "/v1/account/tokens/email", `{"userId":"unique()","email":"not-an-email"}`, nil), 400, "general_argument_invalid", "")
	r := e.do("POST", "/v1/account/tokens/email", `{"userId":"unique()","email":"o@example.com","phrase":true}`, withFormat(nil, "1.5.0"))
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	tok := r.json(t)
	userID := tok["userId"].(string)
	expire, _ := time.Parse("2006-01-02T15:04:05.000-07:00", tok["expire"].(string))
	if !expire.Equal(e.clock.Now().Add(15*time.Minute)) || tok["phrase"] == "" || tok["secret"] != "" {
		t.Fatalf("token: %s", r.body)
	}
	m := box.waitMail(t, 1)
	code := sixDigits.FindString(m.Text)
	if m.To != "o@example.com" || m.Subject != "Sign-in code for Demo" || code == "" || !strings.Contains(m.HTML, code) ||
		linkPattern.MatchString(m.Text) || !strings.Contains(m.Text, tok["phrase"].(string)) || !strings.Contains(m.Text, "15 minutes") {
		t.Fatalf("mail: %+v", m)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	checkError(t, e.tokenSession(userID, wrong), 401, "user_invalid_token", "")
	acc := signedIn(t, e, e.tokenSession(userID, code), "token", "email")
	if acc["email"] != "o@example.com" || acc["emailVerification"] != true {
		t.Fatalf("account: %v", acc)
	}
	checkError(t, e.tokenSession(userID, code), 401, "user_invalid_token", "")
	// An email code is no magic link: PUT /sessions/magic-url refuses it.
	e.do("POST", "/v1/account/tokens/email", `{"userId":"unique()","email":"o@example.com"}`, nil)
	code = sixDigits.FindString(box.waitMail(t, 2).Text)
	checkError(t, e.do("PUT", "/v1/account/sessions/magic-url", `{"userId":"`+userID+`","secret":"`+code+`"}`, nil), 401, "user_invalid_token", "")
	// Fifteen minutes and a second later it is refused here too.
	e.clock.Advance(15*time.Minute + time.Second)
	checkError(t, e.tokenSession(userID, code), 401, "user_invalid_token", "")

	// An existing account (with a password) is found by its email.
	id := e.signUp("pw@example.com", "password123")
	r = e.do("POST", "/v1/account/tokens/email", `{"userId":"ignored-id","email":"PW@example.com"}`, nil)
	if r.status != 201 || r.json(t)["userId"] != id {
		t.Fatalf("existing user: %s", r.body)
	}
	code = sixDigits.FindString(box.waitMail(t, 3).Text)
	signedIn(t, e, e.tokenSession(id, code), "token", "email")
}

func TestPhoneToken(t *testing.T) {
	t.Parallel()
	plain := newEnv(t, nil)
	checkError(t, plain.do("POST", "/v1/account/tokens/phone", `{"userId":"unique()","phone":"+123456789"}`, nil), 503, "general_phone_disabled", "")

	e, box := newDeliveryEnv(t, nil)
	checkError(t, e.do("POST", "/v1/account/tokens/phone", `{"userId":"unique()","phone":"123"}`, nil), 400, "general_argument_invalid", "")
	r := e.do("POST", "/v1/account/tokens/phone", `{"userId":"phone-1","phone":"+123456789"}`, nil)
	if r.status != 201 || r.json(t)["userId"] != "phone-1" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	code := strings.TrimPrefix(box.waitText(t, 1), "+123456789: ")
	acc := signedIn(t, e, e.tokenSession("phone-1", code), "phone", "phone")
	if acc["phone"] != "+123456789" || acc["phoneVerification"] != true || acc["emailVerification"] != false {
		t.Fatalf("account: %v", acc)
	}
	checkError(t, e.tokenSession("phone-1", code), 401, "user_invalid_token", "")
	// The number now belongs to phone-1, whatever userId says; its code
	// spent here is gone for PUT /sessions/phone.
	r = e.do("POST", "/v1/account/tokens/phone", `{"userId":"unique()","phone":"+123456789"}`, nil)
	if r.status != 201 || r.json(t)["userId"] != "phone-1" {
		t.Fatalf("existing user: %s", r.body)
	}
	code = strings.TrimPrefix(box.waitText(t, 2), "+123456789: ")
	signedIn(t, e, e.tokenSession("phone-1", code), "phone", "phone")
	checkError(t, e.do("PUT", "/v1/account/sessions/phone", `{"userId":"phone-1","secret":"`+code+`"}`, nil), 401, "user_invalid_token", "")
	// Fifteen minutes and a second later a code is refused.
	e.do("POST", "/v1/account/tokens/phone", `{"userId":"unique()","phone":"+123456789"}`, nil)
	code = strings.TrimPrefix(box.waitText(t, 3), "+123456789: ")
	e.clock.Advance(15*time.Minute + time.Second)
	checkError(t, e.tokenSession("phone-1", code), 401, "user_invalid_token", "")
}

// TestTokenSessionSpendsOnce: concurrent requests with one secret give
// one session; a blocked user's token stays unspent; a switched-off
// method's tokens are refused.
func TestTokenSessionSpendsOnce(t *testing.T) {
	t.Parallel()
	e, box := newDeliveryEnv(t, nil)
	e.do("POST", "/v1/account/tokens/magic-url", `{"userId":"race","email":"race@example.com"}`, nil)
	_, q := linkParams(t, box.waitMail(t, 1))
	const n = 12
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			statuses[i] = e.do("POST", "/v1/account/sessions/token", `{"userId":"race","secret":"`+q.Get("secret")+`"}`, nil).status
		})
	}
	wg.Wait()
	wins := 0
	for _, s := range statuses {
		switch s {
		case 201:
			wins++
		case 401:
		default:
			t.Errorf("status %d", s)
		}
	}
	if wins != 1 {
		t.Fatalf("%d sessions from one secret: %v", wins, statuses)
	}

	e.do("POST", "/v1/account/tokens/email", `{"userId":"unique()","email":"race@example.com"}`, nil)
	code := sixDigits.FindString(box.waitMail(t, 2).Text)
	e.editUser("race", func(u *core.User) { u.Status = false })
	checkError(t, e.tokenSession("race", code), 401, "user_blocked", "")
	e.editUser("race", func(u *core.User) { u.Status = true })
	signedIn(t, e, e.tokenSession("race", code), "token", "email")

	off, box2 := newDeliveryEnv(t, func(c *core.Config) {
		c.Disabled = map[core.AuthMethodName]bool{core.MethodEmailOTP: true}
	})
	checkError(t, off.do("POST", "/v1/account/tokens/email", `{"userId":"unique()","email":"x@example.com"}`, nil), 501, "user_auth_method_unsupported", "Email (OTP) authentication is disabled for this project")
	off.do("POST", "/v1/account/tokens/magic-url", `{"userId":"x","email":"x@example.com"}`, nil)
	_, q = linkParams(t, box2.waitMail(t, 1))
	signedIn(t, off, off.tokenSession("x", q.Get("secret")), "magic-url", "email")
}

func TestTokenSignInRateLimits(t *testing.T) {
	t.Parallel()
	e, _ := newDeliveryEnv(t, func(c *core.Config) {
		limitsOn(c)
		c.RateLimits.Limits = map[string]int{"email_token.create": 2, "email_token.create_ip": 3, "phone_token.create": 1,
			"magic_url_token.create": 1, "sessions.token": 2}
	})
	send := func(path, field, value string) int {
		return e.do("POST", "/v1/account/tokens/"+path, `{"userId":"unique()","`+field+`":"`+value+`"}`, nil).status
	}
	for i, want := range []int{201, 201, 429} {
		if got := send("email", "email", "a@example.com"); got != want {
			t.Fatalf("email code %d: %d, want %d", i, got, want)
		}
	}
	// Per IP across emails: the fourth from this IP is refused.
	if got := send("email", "email", "b@example.com"); got != 429 {
		t.Fatalf("email code per IP: %d", got)
	}
	if got := send("phone", "phone", "+15550001111"); got != 201 {
		t.Fatalf("phone: %d", got)
	}
	if got := send("phone", "phone", "+15550001111"); got != 429 {
		t.Fatalf("phone again: %d", got)
	}
	if got := send("magic-url", "email", "c@example.com"); got != 201 {
		t.Fatalf("magic url: %d", got)
	}
	if got := send("magic-url", "email", "c@example.com"); got != 429 {
		t.Fatalf("magic url again: %d", got)
	}
	// Guessing a user's secret: two tries an hour.
	for i, want := range []int{401, 401, 429} {
		if r := e.do("POST", "/v1/account/sessions/token", `{"userId":"victim","secret":"123456"}`, nil); r.status != want {
			t.Fatalf("guess %d: %d, want %d", i, r.status, want)
		}
	}
	if r := e.do("POST", "/v1/account/sessions/token", `{"userId":"other","secret":"123456"}`, nil); r.status != 401 {
		t.Fatalf("another user's counter: %d", r.status)
	}
}

func TestOAuth2Token(t *testing.T) {
	t.Parallel()
	e, _ := newOAuthEnv(t)
	start := func() *flow {
		r := e.do("GET", "/v1/account/tokens/oauth2/github?"+oauthQuery, "", nil)
		if r.status != 301 || !strings.HasPrefix(r.header.Get("Location"), "https://provider.test/authorize?") {
			t.Fatalf("start: %d %v", r.status, r.header)
		}
		loc, _ := http.NewRequest("GET", r.header.Get("Location"), nil)
		f := &flow{e: e, state: loc.URL.Query().Get("state")}
		for _, c := range (&http.Response{Header: r.header}).Cookies() {
			if c.Name == "a_oauth_test" {
				f.nonce = c.Value
			}
		}
		return f
	}
	target, cookie, errType := outcome(t, start().callback("new"))
	q := target.Query()
	if target.Host != "localhost" || target.Path != "/ok" || cookie != "" || errType != "" || q.Get("userId") == "" || len(q.Get("secret")) != 64 {
		t.Fatalf("success redirect: %s cookie %q", target, cookie)
	}
	r := e.tokenSession(q.Get("userId"), q.Get("secret"))
	acc := signedIn(t, e, r, "github", "email")
	if acc["email"] != "new@example.com" || r.json(t)["providerUid"] != "gh-1" {
		t.Fatalf("account %v session %s", acc, r.body)
	}
	checkError(t, e.tokenSession(q.Get("userId"), q.Get("secret")), 401, "user_invalid_token", "")

	// Unknown provider: an error page, not JSON (the route is navigated to).
	r = e.do("GET", "/v1/account/tokens/oauth2/nonesuch", "", nil)
	if r.status != 400 || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("unknown provider: %d %v", r.status, r.header)
	}
	// A failed sign-in goes to failure, with no token.
	target, _, errType = outcome(t, start().callback("noemail"))
	if target.Path != "/fail" || errType != "user_oauth2_provider_error" || target.Query().Get("secret") != "" {
		t.Fatalf("failure redirect: %s", target)
	}
	// The secret lives fifteen minutes.
	target, _, _ = outcome(t, start().callback("new"))
	q = target.Query()
	e.clock.Advance(15*time.Minute + time.Second)
	checkError(t, e.tokenSession(q.Get("userId"), q.Get("secret")), 401, "user_invalid_token", "")
	// The token dies with the identity's unlinking: a fresh one, the
	// identity deleted, is refused.
	target, _, _ = outcome(t, start().callback("new"))
	q = target.Query()
	idents, err := e.store.UserIdentities(t.Context(), q.Get("userId"))
	if err != nil || len(idents) != 1 {
		t.Fatalf("identities: %v %v", idents, err)
	}
	if err := e.store.DeleteIdentity(t.Context(), q.Get("userId"), idents[0].ID); err != nil {
		t.Fatal(err)
	}
	checkError(t, e.tokenSession(q.Get("userId"), q.Get("secret")), 401, "user_invalid_token", "")
}

// TestObserverTokenSignIn: token sign-in reports its sign-ups and
// sign-ins by method, and a refused secret as a failed sign-in.
func TestObserverTokenSignIn(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	e, box := newDeliveryEnv(t, func(c *core.Config) { c.Observer = rec })
	e.do("POST", "/v1/account/tokens/email", `{"userId":"obs","email":"obs@example.com"}`, nil)
	code := sixDigits.FindString(box.waitMail(t, 1).Text)
	signedIn(t, e, e.tokenSession("obs", code), "token", "email")
	e.do("POST", "/v1/account/tokens/magic-url", `{"userId":"unique()","email":"obs@example.com"}`, nil)
	_, q := linkParams(t, box.waitMail(t, 2))
	signedIn(t, e, e.tokenSession("obs", q.Get("secret")), "magic-url", "email")
	checkError(t, e.tokenSession("obs", q.Get("secret")), 401, "user_invalid_token", "")
	var got []string
	rec.mu.Lock()
	for _, ev := range rec.events {
		if ev.Kind == core.EventSignUp || ev.Kind == core.EventSignIn {
			got = append(got, strings.Join([]string{string(ev.Kind), ev.Result, ev.Method, ev.Reason, ev.UserID}, " "))
		}
	}
	rec.mu.Unlock()
	want := []string{
		"sign_up success email-otp  obs",
		"sign_in success email-otp  obs",
		"sign_in success magic-url  obs",
		"sign_in failure token user_invalid_token obs",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

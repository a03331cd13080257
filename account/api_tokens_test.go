package account_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/mail"
)

// outbox captures delivered mail and SMS; it can be switched to failing,
// like a mail server that is down.
type outbox struct {
	mu    sync.Mutex
	down  bool
	mails []mail.Message
	texts []string // "to: body"
	tries int
}

func (o *outbox) Send(_ context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tries++
	if o.down {
		return errors.New("connection refused")
	}
	o.mails = append(o.mails, m)
	return nil
}

type smsOutbox struct{ *outbox }

func (s smsOutbox) Send(_ context.Context, to, body string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.texts = append(s.texts, to+": "+body)
	return nil
}

func (o *outbox) setDown(down bool) { o.mu.Lock(); o.down = down; o.mu.Unlock() }

// waitMail waits until n mails have arrived and returns the last one.
func (o *outbox) waitMail(t *testing.T, n int) mail.Message {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		o.mu.Lock()
		if len(o.mails) >= n {
			m := o.mails[n-1]
			o.mu.Unlock()
			return m
		}
		o.mu.Unlock()
	}
	t.Fatalf("mail %d never arrived", n)
	return mail.Message{}
}

func (o *outbox) waitText(t *testing.T, n int) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		o.mu.Lock()
		if len(o.texts) >= n {
			m := o.texts[n-1]
			o.mu.Unlock()
			return m
		}
		o.mu.Unlock()
	}
	t.Fatalf("SMS %d never arrived", n)
	return ""
}

// newDeliveryEnv is an env with capturing senders and the delivery worker
// running.
func newDeliveryEnv(t *testing.T, edit func(*core.Config)) (*env, *outbox) {
	box := &outbox{}
	e := newEnv(t, func(c *core.Config) {
		c.Mailer, c.SMS, c.ProjectName = box, smsOutbox{box}, "Demo"
		if edit != nil {
			edit(c)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.svc.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return e, box
}

var linkPattern = regexp.MustCompile(`https?://[^\s"<>]+`)

// linkParams extracts the link of a mail and its query.
func linkParams(t *testing.T, m mail.Message) (*url.URL, url.Values) {
	t.Helper()
	link := linkPattern.FindString(m.Text)
	u, err := url.Parse(link)
	if err != nil || link == "" {
		t.Fatalf("no link in %q", m.Text)
	}
	return u, u.Query()
}

func TestMagicURL(t *testing.T) {
	t.Parallel()
	plain := newEnv(t, nil)
	checkError(t, plain.do("POST", "/v1/account/sessions/magic-url", `{"userId":"unique()","email":"m@example.com"}`, nil), 503, "general_smtp_disabled", "SMTP disabled")

	e, box := newDeliveryEnv(t, nil)
	for _, bad := range []string{"localhost/magiclogin", "http://remotehost/magiclogin", "javascript://localhost/x", "ftp://localhost/x"} {
		r := e.do("POST", "/v1/account/sessions/magic-url", `{"userId":"unique()","email":"m@example.com","url":"`+bad+`"}`, nil)
		checkError(t, r, 400, "general_argument_invalid", "")
	}
	checkError(t, e.do("POST", "/v1/account/sessions/magic-url", `{"email":"m@example.com"}`, nil), 400, "general_argument_invalid", `Param "userId" is not optional.`)

	r := e.do("POST", "/v1/account/sessions/magic-url", `{"userId":"unique()","email":"M@Example.com","url":"http://localhost:3000/done?x=1#frag"}`, nil)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	tok := r.json(t)
	if tok["secret"] != "" || tok["userId"] == "" || !isoMillis.MatchString(tok["expire"].(string)) {
		t.Fatalf("token: %s", r.body)
	}
	expire, _ := time.Parse("2006-01-02T15:04:05.000-07:00", tok["expire"].(string))
	if !expire.Equal(e.clock.Now().Add(time.Hour)) {
		t.Errorf("magic URL lifetime: expire %v", expire)
	}
	m := box.waitMail(t, 1)
	u, q := linkParams(t, m)
	if m.To != "m@example.com" || m.Subject != "Login" || u.Host != "localhost:3000" || u.Fragment != "frag" || q.Get("x") != "1" ||
		q.Get("userId") != tok["userId"] || q.Get("project") != "test" || len(q.Get("secret")) != 64 || q.Get("expire") == "" {
		t.Fatalf("mail: %+v link %s", m, u)
	}
	if !strings.Contains(m.HTML, "Demo") && !strings.Contains(m.Text, "Demo") {
		t.Errorf("the mail does not name the project")
	}
	body := func(secret string) string {
		return `{"userId":"` + q.Get("userId") + `","secret":"` + secret + `"}`
	}
	checkError(t, e.do("PUT", "/v1/account/sessions/magic-url", `{"userId":"ewewe","secret":"x"}`, nil), 404, "user_not_found", "")
	checkError(t, e.do("PUT", "/v1/account/sessions/magic-url", body(strings.Repeat("0", 64)), nil), 401, "user_invalid_token", "")
	r = e.do("PUT", "/v1/account/sessions/magic-url", body(q.Get("secret")), nil)
	if r.status != 200 || r.json(t)["provider"] != "magic-url" || len(r.header.Values("Set-Cookie")) != 2 {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}
	cookie := strings.SplitN(r.header.Values("Set-Cookie")[1], ";", 2)[0]
	acc := e.do("GET", "/v1/account", "", cookieHeader(cookie)).json(t)
	if acc["email"] != "m@example.com" || acc["emailVerification"] != true || acc["passwordUpdate"] != "" {
		t.Fatalf("account after magic URL: %v", acc)
	}
	checkError(t, e.do("PUT", "/v1/account/sessions/magic-url", body(q.Get("secret")), nil), 401, "user_invalid_token", "")

	// A second link for the same email finds the same user, whatever userId says.
	r = e.do("POST", "/v1/account/sessions/magic-url", `{"userId":"someone-else","email":"m@example.com"}`, nil)
	if r.status != 201 || r.json(t)["userId"] != tok["userId"] {
		t.Fatalf("existing user: %s", r.body)
	}
	u, q = linkParams(t, box.waitMail(t, 2))
	if u.String()[:len("http://localhost:8080/auth/magic-url?")] != "http://localhost:8080/auth/magic-url?" {
		t.Errorf("default link %s is not the public URL's completion page", u)
	}
	// Expired: an hour and a bit later the secret is refused.
	e.clock.Advance(time.Hour + time.Second)
	checkError(t, e.do("PUT", "/v1/account/sessions/magic-url", body(q.Get("secret")), nil), 401, "user_invalid_token", "")
	// The mail, email login is refused for an account without a password.
	checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"m@example.com","password":"password123"}`, nil), 401, "user_invalid_credentials", "")
}

func TestPhoneSessionAndVerification(t *testing.T) {
	t.Parallel()
	plain := newEnv(t, nil)
	checkError(t, plain.do("POST", "/v1/account/sessions/phone", `{"userId":"unique()","phone":"+123456789"}`, nil), 503, "general_phone_disabled", "Phone provider not configured")

	e, box := newDeliveryEnv(t, nil)
	checkError(t, e.do("POST", "/v1/account/sessions/phone", `{"userId":"unique()"}`, nil), 400, "general_argument_invalid", `Param "phone" is not optional.`)
	r := e.do("POST", "/v1/account/sessions/phone", `{"userId":"unique()","phone":"+123456789"}`, nil)
	if r.status != 201 || r.json(t)["secret"] != "" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	userID := r.json(t)["userId"].(string)
	text := box.waitText(t, 1)
	code := strings.TrimPrefix(text, "+123456789: ")
	if !regexp.MustCompile(`^\d{6}$`).MatchString(code) {
		t.Fatalf("SMS %q is not the six-digit code", text)
	}
	body := func(c string) string { return `{"userId":"` + userID + `","secret":"` + c + `"}` }
	checkError(t, e.do("PUT", "/v1/account/sessions/phone", `{"userId":"ewewe","secret":"123456"}`, nil), 404, "user_not_found", "")
	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	checkError(t, e.do("PUT", "/v1/account/sessions/phone", body(wrong), nil), 401, "user_invalid_token", "")
	// A phone-session code is no phone-verification code.
	r = e.do("PUT", "/v1/account/sessions/phone", body(code), nil)
	if r.status != 200 || r.json(t)["provider"] != "phone" {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}
	cookie := cookieHeader(strings.SplitN(r.header.Values("Set-Cookie")[1], ";", 2)[0])
	checkError(t, e.do("PUT", "/v1/account/sessions/phone", body(code), nil), 401, "user_invalid_token", "")
	acc := e.do("GET", "/v1/account", "", cookie).json(t)
	if acc["phone"] != "+123456789" || acc["phoneVerification"] != true {
		t.Fatalf("account: %v", acc)
	}

	// Phone verification: reset by a phone change, then proven by a code.
	e.do("PATCH", "/v1/account/phone", `{"phone":"+45632569856","password":"whatever1"}`, cookie)
	r = e.do("POST", "/v1/account/verification/phone", "", cookie)
	if r.status != 201 {
		t.Fatalf("verification: %d %s", r.status, r.body)
	}
	vcode := strings.TrimPrefix(box.waitText(t, 2), "+45632569856: ")
	checkError(t, e.do("PUT", "/v1/account/sessions/phone", body(vcode), nil), 401, "user_invalid_token", "")
	checkError(t, e.do("PUT", "/v1/account/verification/phone", body(vcode), nil), 401, "user_invalid_token", "")
	checkError(t, e.do("PUT", "/v1/account/verification/phone", `{"userId":"ewewe","secret":"123456"}`, cookie), 404, "user_not_found", "")
	if r := e.do("PUT", "/v1/account/verification/phone", body(vcode), cookie); r.status != 200 {
		t.Fatalf("verify phone: %d %s", r.status, r.body)
	}
	if acc := e.do("GET", "/v1/account", "", cookie).json(t); acc["phoneVerification"] != true {
		t.Fatalf("phone not verified: %v", acc)
	}

	// A user without a phone has nothing to verify.
	e.signUp("nophone@example.com", "password123")
	c, _ := e.signIn("nophone@example.com", "password123")
	checkError(t, e.do("POST", "/v1/account/verification/phone", "", cookieHeader(c)), 400, "user_phone_not_found", "")
}

func TestRecovery(t *testing.T) {
	t.Parallel()
	e, box := newDeliveryEnv(t, nil)
	e.signUp("rec@example.com", "password123")
	c1, _ := e.signIn("rec@example.com", "password123")
	checkError(t, e.do("POST", "/v1/account/recovery", `{"email":"rec@example.com"}`, nil), 400, "general_argument_invalid", `Param "url" is not optional.`)
	checkError(t, e.do("POST", "/v1/account/recovery", `{"email":"rec@example.com","url":"localhost/recovery"}`, nil), 400, "general_argument_invalid", "")
	checkError(t, e.do("POST", "/v1/account/recovery", `{"email":"rec@example.com","url":"http://remotehost/recovery"}`, nil), 400, "general_argument_invalid", "")
	checkError(t, e.do("POST", "/v1/account/recovery", `{"email":"not-found@example.com","url":"http://localhost/recovery"}`, nil), 404, "user_not_found", "")
	r := e.do("POST", "/v1/account/recovery", `{"email":"rec@example.com","url":"http://localhost/recovery"}`, nil)
	if r.status != 201 || r.json(t)["secret"] != "" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	m := box.waitMail(t, 1)
	_, q := linkParams(t, m)
	if m.Subject != "Password Reset" || m.ToName != "Test" || q.Get("project") != "" {
		t.Errorf("recovery mail: %+v", m)
	}
	put := func(secret, pw, again string) response {
		return e.do("PUT", "/v1/account/recovery", `{"userId":"`+q.Get("userId")+`","secret":"`+secret+`","password":"`+pw+`","passwordAgain":"`+again+`"}`, nil)
	}
	checkError(t, put(q.Get("secret"), "newpassword1", "newpassword2"), 400, "user_password_mismatch", "")
	checkError(t, put(strings.Repeat("1", 64), "newpassword1", "newpassword1"), 401, "user_invalid_token", "")
	checkError(t, e.do("PUT", "/v1/account/recovery", `{"userId":"ewewe","secret":"x","password":"newpassword1","passwordAgain":"newpassword1"}`, nil), 404, "user_not_found", "")
	// A recovery secret is no verification secret.
	checkError(t, e.do("PUT", "/v1/account/verification", `{"userId":"`+q.Get("userId")+`","secret":"`+q.Get("secret")+`"}`, nil), 401, "user_invalid_token", "")
	r = put(q.Get("secret"), "newpassword1", "newpassword1")
	if r.status != 200 || r.json(t)["secret"] != "" {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}
	checkError(t, put(q.Get("secret"), "newpassword3", "newpassword3"), 401, "user_invalid_token", "")
	checkError(t, e.do("GET", "/v1/account", "", cookieHeader(c1)), 401, "general_unauthorized_scope", "")
	checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"rec@example.com","password":"password123"}`, nil), 401, "user_invalid_credentials", "")
	c2, _ := e.signIn("rec@example.com", "newpassword1")
	if acc := e.do("GET", "/v1/account", "", cookieHeader(c2)).json(t); acc["emailVerification"] != true {
		t.Errorf("recovery proves the email: %v", acc)
	}
}

func TestEmailVerification(t *testing.T) {
	t.Parallel()
	e, box := newDeliveryEnv(t, nil)
	e.signUp("ver@example.com", "password123")
	c, _ := e.signIn("ver@example.com", "password123")
	checkError(t, e.do("POST", "/v1/account/verification", `{"url":"http://localhost/verification"}`, nil), 401, "general_unauthorized_scope", "")
	checkError(t, e.do("POST", "/v1/account/verification", `{"url":"localhost/verification"}`, cookieHeader(c)), 400, "general_argument_invalid", "")
	r := e.do("POST", "/v1/account/verification", `{"url":"http://localhost/verification"}`, cookieHeader(c))
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	expire, _ := time.Parse("2006-01-02T15:04:05.000-07:00", r.json(t)["expire"].(string))
	if !expire.Equal(e.clock.Now().Add(7 * 24 * time.Hour)) {
		t.Errorf("verification lifetime: %v", expire)
	}
	m := box.waitMail(t, 1)
	_, q := linkParams(t, m)
	if m.Subject != "Account Verification" || m.To != "ver@example.com" {
		t.Errorf("mail: %+v", m)
	}
	body := `{"userId":"` + q.Get("userId") + `","secret":"` + q.Get("secret") + `"}`
	checkError(t, e.do("PUT", "/v1/account/recovery", `{"userId":"`+q.Get("userId")+`","secret":"`+q.Get("secret")+`","password":"newpassword1","passwordAgain":"newpassword1"}`, nil), 401, "user_invalid_token", "")
	if r := e.do("PUT", "/v1/account/verification", body, nil); r.status != 200 {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	if acc := e.do("GET", "/v1/account", "", cookieHeader(c)).json(t); acc["emailVerification"] != true {
		t.Fatalf("not verified: %v", acc)
	}
	checkError(t, e.do("PUT", "/v1/account/verification", body, nil), 401, "user_invalid_token", "")
}

// TestOutboxRetriesAndSeals: a mail queued while the mail server is down
// is sealed at rest and delivered, once, when it is back.
func TestOutboxRetriesAndSeals(t *testing.T) {
	t.Parallel()
	box := &outbox{}
	e := newEnv(t, func(c *core.Config) { c.Mailer = box })
	e.signUp("out@example.com", "password123")
	c, _ := e.signIn("out@example.com", "password123")
	if r := e.do("POST", "/v1/account/verification", `{"url":"http://localhost/v"}`, cookieHeader(c)); r.status != 201 {
		t.Fatal(r.body)
	}
	// Nothing runs the worker yet: the message waits in the store, sealed.
	msgs, err := e.store.ClaimMessages(context.Background(), e.clock.Now(), time.Millisecond, 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("outbox: %v %v", msgs, err)
	}
	if p := string(msgs[0].Payload); strings.Contains(p, "secret") || strings.Contains(p, "out@example.com") || strings.Contains(p, "http") {
		t.Fatalf("outbox payload is not encrypted: %q", p)
	}
	e.store.RetryMessage(context.Background(), msgs[0].ID, 0, e.clock.Now(), "")

	box.setDown(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.svc.Run(ctx)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		box.mu.Lock()
		tries := box.tries
		box.mu.Unlock()
		if tries > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no delivery attempt")
		}
	}
	box.setDown(false)
	e.clock.Advance(10 * time.Second) // past the first backoff
	box.waitMail(t, 1)
	time.Sleep(2500 * time.Millisecond) // one more poll: nothing is sent twice
	box.mu.Lock()
	defer box.mu.Unlock()
	if len(box.mails) != 1 {
		t.Fatalf("%d mails delivered, want 1", len(box.mails))
	}
}

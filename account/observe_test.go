package account_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/oauth"
)

// recorder is an Observer that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []core.Event
}

func (r *recorder) Observe(_ context.Context, e core.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// security returns the events other than the operational measurements,
// as "kind result method/reason/stage/limit/channel user email" lines.
func (r *recorder) security() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		switch e.Kind {
		case core.EventCacheLookup, core.EventDelivery, core.EventPasswordWait, core.EventRevocationLag:
			continue
		}
		detail := strings.Trim(strings.Join([]string{e.Method, e.Provider, e.Reason, e.Stage, e.Limit, e.Channel}, "/"), "/")
		for strings.Contains(detail, "//") {
			detail = strings.ReplaceAll(detail, "//", "/")
		}
		out = append(out, fmt.Sprintf("%s %s %s %s %s", e.Kind, e.Result, detail, e.UserID, e.Email))
	}
	return out
}

// count counts the events of kind with result.
func (r *recorder) count(kind core.EventKind, result string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.Kind == kind && e.Result == result {
			n++
		}
	}
	return n
}

// TestObserverSecurityEvents runs a scripted scenario through the API and
// checks the events, in order, with who and why, and that every event of
// a request carries the client IP and path.
func TestObserverSecurityEvents(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	e, box := newDeliveryEnv(t, func(c *core.Config) {
		c.Observer = rec
		c.RateLimits = core.RateLimitConfig{Limits: map[string]int{"sessions.email": 2}}
	})
	alice := e.signUp("alice@example.com", "password123")
	checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"alice@example.com","password":"wrong-password"}`, nil),
		401, "user_invalid_credentials", "")
	cookie, session := e.signIn("alice@example.com", "password123")
	sid := session["$id"].(string)
	if r := e.do("POST", "/v1/account/jwt", "", cookieHeader(cookie)); r.status != 201 {
		t.Fatalf("jwt: %d %s", r.status, r.body)
	}
	checkError(t, e.do("PATCH", "/v1/account/name", `{"name":"x"}`, map[string]string{"Cookie": cookie, "Origin": "http://evil.test"}),
		403, "general_unknown_origin", "")
	if r := e.do("POST", "/v1/account/verification", `{"url":"http://localhost:8080/verify"}`, cookieHeader(cookie)); r.status != 201 {
		t.Fatalf("verification: %d %s", r.status, r.body)
	}
	_, q := linkParams(t, box.waitMail(t, 1))
	if r := e.do("PUT", "/v1/account/verification", `{"userId":"`+alice+`","secret":"`+q.Get("secret")+`"}`, cookieHeader(cookie)); r.status != 200 {
		t.Fatalf("confirm verification: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/v1/account/recovery", `{"email":"alice@example.com","url":"http://localhost:8080/reset"}`, nil); r.status != 201 {
		t.Fatalf("recovery: %d %s", r.status, r.body)
	}
	_, q = linkParams(t, box.waitMail(t, 2))
	checkError(t, e.do("PUT", "/v1/account/recovery", `{"userId":"`+alice+`","secret":"wrong","password":"password456","passwordAgain":"password456"}`, nil),
		401, "user_invalid_token", "")
	if r := e.do("PUT", "/v1/account/recovery", `{"userId":"`+alice+`","secret":"`+q.Get("secret")+`","password":"password456","passwordAgain":"password456"}`, nil); r.status != 200 {
		t.Fatalf("complete recovery: %d %s", r.status, r.body)
	}
	// Bob is unknown: two failures, then the per-email limit refuses.
	for range 2 {
		checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"bob@example.com","password":"whatever1"}`, nil), 401, "user_invalid_credentials", "")
	}
	checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"bob@example.com","password":"whatever1"}`, nil), 429, "general_rate_limit_exceeded", "")
	anon := e.do("POST", "/v1/account/sessions/anonymous", "", nil)
	if anon.status != 201 {
		t.Fatalf("anonymous: %d %s", anon.status, anon.body)
	}
	anonUser := anon.json(t)["userId"].(string)
	anonCookie := ""
	for _, c := range (&http.Response{Header: anon.header}).Cookies() {
		if c.Name == "a_session_test" {
			anonCookie = c.Name + "=" + c.Value
		}
	}
	if r := e.do("DELETE", "/v1/account/sessions/current", "", cookieHeader(anonCookie)); r.status != 204 {
		t.Fatalf("sign-out: %d %s", r.status, r.body)
	}
	// The recovery ended alice's sessions: sign in again (a new email, so
	// the per-email limit does not apply) and block the account.
	carol := e.signUp("carol@example.com", "password123")
	carolCookie, _ := e.signIn("carol@example.com", "password123")
	if r := e.do("PATCH", "/v1/account/status", "", cookieHeader(carolCookie)); r.status != 200 {
		t.Fatalf("block: %d %s", r.status, r.body)
	}

	want := []string{
		"sign_up success email-password " + alice + " alice@example.com",
		"sign_in failure email-password/user_invalid_credentials  alice@example.com",
		"sign_in success email-password " + alice + " alice@example.com",
		"jwt_created success jwt " + alice + " ",
		"origin_refused refused general_unknown_origin  ",
		"verification success requested/email " + alice + " alice@example.com",
		"verification success completed/email " + alice + " alice@example.com",
		"recovery success requested/email " + alice + " alice@example.com",
		"recovery failure user_invalid_token/completed/email " + alice + " ",
		"recovery success completed/email " + alice + " alice@example.com",
		"sign_in failure email-password/user_invalid_credentials  bob@example.com",
		"sign_in failure email-password/user_invalid_credentials  bob@example.com",
		"rate_limited refused sessions.email  ",
		"sign_in success anonymous " + anonUser + " ",
		"sign_up success anonymous " + anonUser + " ",
		"sign_out success  " + anonUser + " ",
		"sign_up success email-password " + carol + " carol@example.com",
		"sign_in success email-password " + carol + " carol@example.com",
		"block success  " + carol + " carol@example.com",
	}
	got := rec.security()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	rec.mu.Lock()
	for _, ev := range rec.events {
		if ev.Kind == core.EventSignIn && ev.Result == core.ResultSuccess && ev.SessionID == "" {
			t.Errorf("sign-in without its session id: %+v", ev)
		}
		if ev.Kind == core.EventSignIn && ev.UserID == alice && ev.Result == core.ResultSuccess && ev.SessionID != sid {
			t.Errorf("sign-in session %q, want %q", ev.SessionID, sid)
		}
		switch ev.Kind {
		case core.EventCacheLookup, core.EventDelivery, core.EventPasswordWait, core.EventRevocationLag:
		default:
			if ev.IP == "" || !strings.HasPrefix(ev.Path, "/v1/account") {
				t.Errorf("event without client IP or path: %+v", ev)
			}
		}
	}
	rec.mu.Unlock()
	if n := rec.count(core.EventDelivery, "sent"); n != 2 {
		t.Errorf("%d deliveries sent, want 2", n)
	}
	// Every password check (sign-ups, sign-ins, the recovery's new
	// password) waited for a slot, none in vain.
	if n := rec.count(core.EventPasswordWait, ""); n < 8 {
		t.Errorf("%d password waits reported, want at least 8", n)
	}
	if n := rec.count(core.EventPasswordWait, "busy"); n != 0 {
		t.Errorf("%d busy refusals, want 0", n)
	}
}

// laggingBus delivers revocations as if they had been published 40ms
// before they arrive.
type laggingBus struct{ *bus }

func (b laggingBus) PublishRevocation(ctx context.Context, r core.Revocation) error {
	if r.SentAt == 0 {
		return fmt.Errorf("revocation published without its time: %+v", r)
	}
	r.SentAt -= 40
	return b.bus.PublishRevocation(ctx, r)
}

// TestObserverCacheAndDelivery: verifications report cache misses then
// hits, a failed delivery is reported as such, and a revocation received
// from the channel reports its lag.
func TestObserverCacheAndDelivery(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	b := &bus{}
	b.healthy.Store(true)
	e, box := newDeliveryEnv(t, func(c *core.Config) { c.Observer, c.Revocations = rec, laggingBus{b} })
	e.signUp("d@example.com", "password123")
	cookie, _ := e.signIn("d@example.com", "password123")
	for range 3 {
		if r := e.do("GET", "/v1/account", "", cookieHeader(cookie)); r.status != 200 {
			t.Fatal(r.body)
		}
	}
	if miss, hit := rec.count(core.EventCacheLookup, "miss"), rec.count(core.EventCacheLookup, "local_hit"); miss != 1 || hit != 2 {
		t.Errorf("cache: %d misses, %d hits; want 1 and 2", miss, hit)
	}

	box.setDown(true)
	if r := e.do("POST", "/v1/account/verification", `{"url":"http://localhost:8080/verify"}`, cookieHeader(cookie)); r.status != 201 {
		t.Fatal(r.body)
	}
	for deadline := time.Now().Add(10 * time.Second); rec.count(core.EventDelivery, "failed") == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the failed delivery was not reported")
		}
	}
	if n := rec.count(core.EventDelivery, "sent"); n != 0 {
		t.Errorf("%d deliveries reported sent while the mailer is down", n)
	}

	// The sign-out goes out on the channel, stamped, and comes back to
	// this instance's subscription: its lag is reported.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		b.mu.Lock()
		n := len(b.subs)
		b.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the service did not subscribe")
		}
	}
	if r := e.do("DELETE", "/v1/account/sessions/current", "", cookieHeader(cookie)); r.status != 204 {
		t.Fatal(r.body)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	lags := 0
	for _, ev := range rec.events {
		if ev.Kind == core.EventRevocationLag {
			lags++
			if ev.Duration != 40*time.Millisecond {
				t.Errorf("revocation lag %v, want the bus's 40ms", ev.Duration)
			}
		}
	}
	if lags != 1 {
		t.Errorf("%d revocation lags reported, want 1", lags)
	}
}

// TestObserverAccountsCreatedOnTheWay: magic URL, phone and OAuth2
// sign-ins that create the account report one sign-up, and only the
// first time; an OAuth2 callback that fails reports a failed sign-in.
func TestObserverAccountsCreatedOnTheWay(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	e, box := newDeliveryEnv(t, func(c *core.Config) { c.Observer = rec })
	for range 2 {
		if r := e.do("POST", "/v1/account/sessions/magic-url", `{"userId":"unique()","email":"m@example.com"}`, nil); r.status != 201 {
			t.Fatalf("magic url: %d %s", r.status, r.body)
		}
		if r := e.do("POST", "/v1/account/sessions/phone", `{"userId":"unique()","phone":"+15550001111"}`, nil); r.status != 201 {
			t.Fatalf("phone: %d %s", r.status, r.body)
		}
	}
	box.waitMail(t, 2)
	var signUps []string
	rec.mu.Lock()
	for _, ev := range rec.events {
		if ev.Kind == core.EventSignUp {
			signUps = append(signUps, ev.Method+" "+ev.Email)
		}
	}
	rec.mu.Unlock()
	if strings.Join(signUps, ",") != "magic-url m@example.com,phone " {
		t.Errorf("sign-ups %q, want one magic-url and one phone", signUps)
	}

	orec := &recorder{}
	p := &fakeProvider{identities: map[string]oauth.Identity{
		"new":     {ID: "gh-1", Email: "New@Example.com", EmailVerified: true},
		"noemail": {ID: "gh-5"},
	}}
	o := newEnv(t, func(c *core.Config) { c.OAuth2, c.Observer = map[string]core.OAuthProvider{"github": p}, orec })
	for _, code := range []string{"new", "new", "noemail"} {
		f, _ := o.startOAuth(t, oauthQuery)
		outcome(t, f.callback(code))
	}
	var got []string
	orec.mu.Lock()
	for _, ev := range orec.events {
		if ev.Kind == core.EventSignUp || ev.Kind == core.EventSignIn {
			got = append(got, strings.Join([]string{string(ev.Kind), ev.Result, ev.Method, ev.Provider, ev.Reason, ev.Email}, " "))
		}
	}
	orec.mu.Unlock()
	want := []string{
		"sign_up success oauth2 github  new@example.com",
		"sign_in success oauth2 github  ",
		"sign_in success oauth2 github  ",
		"sign_in failure oauth2 github user_oauth2_provider_error ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("oauth2 events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

package account_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// limitsOn restores the default limits that newEnv switches off.
func limitsOn(c *core.Config) { c.RateLimits.Off = false }

func TestRateLimitHeadersAndWindow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, limitsOn)
	body := `{"email":"rl@example.com","password":"password123"}`
	reset := strconv.FormatInt(e.clock.Now().Truncate(time.Hour).Add(time.Hour).Unix(), 10)
	for i := 1; i <= 10; i++ {
		r := e.do("POST", "/v1/account/sessions/email", body, nil)
		if r.status != 401 || r.header.Get("X-RateLimit-Limit") != "10" || r.header.Get("X-RateLimit-Remaining") != strconv.Itoa(10-i) ||
			r.header.Get("X-RateLimit-Reset") != reset {
			t.Fatalf("request %d: %d %v", i, r.status, r.header)
		}
	}
	r := e.do("POST", "/v1/account/sessions/email", body, nil)
	checkError(t, r, 429, "general_rate_limit_exceeded", "Rate limit for the current endpoint has been exceeded. Please try again after some time.")
	if r.header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("429 headers: %v", r.header)
	}
	// Keyed by email: another email still passes (until the per-IP
	// failure limit), and malformed requests count too.
	if r := e.do("POST", "/v1/account/sessions/email", `{"email":"other@example.com","password":"password123"}`, nil); r.status != 401 {
		t.Fatalf("other email: %d", r.status)
	}
	// The next window starts afresh.
	e.clock.Advance(time.Hour)
	if r := e.do("POST", "/v1/account/sessions/email", body, nil); r.status != 401 || r.header.Get("X-RateLimit-Remaining") != "9" {
		t.Fatalf("next window: %d %v", r.status, r.header)
	}
	// routes without a limit send no headers.
	if r := e.do("GET", "/v1/account", "", nil); r.header.Get("X-RateLimit-Limit") != "" {
		t.Error("GET /v1/account has no limit")
	}
}

func TestRateLimitConfig(t *testing.T) {
	t.Parallel()
	off := newEnv(t, nil) // limits off
	for i := 0; i < 15; i++ {
		if r := off.do("POST", "/v1/account", `{}`, nil); r.status != 400 || r.header.Get("X-RateLimit-Limit") != "" {
			t.Fatalf("limits off: %d %v", r.status, r.header)
		}
	}
	raised := newEnv(t, func(c *core.Config) { limitsOn(c); c.RateLimits.Limits = map[string]int{"account.create": 2} })
	for i, want := range []int{400, 400, 429} {
		if r := raised.do("POST", "/v1/account", `{}`, nil); r.status != want {
			t.Fatalf("request %d: %d, want %d", i, r.status, want)
		}
	}
}

func TestSignInFailuresPerIP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *core.Config) { limitsOn(c); c.RateLimits.Limits = map[string]int{"signin.failures": 3} })
	e.signUp("victim@example.com", "password123")
	for i := 0; i < 3; i++ {
		body := `{"email":"guess` + strconv.Itoa(i) + `@example.com","password":"password123"}`
		checkError(t, e.do("POST", "/v1/account/sessions/email", body, nil), 401, "user_invalid_credentials", "")
	}
	checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"victim@example.com","password":"password123"}`, nil), 429, "general_rate_limit_exceeded", "")
}

// TestRateLimitConcurrent hammers a limited route from many goroutines:
// exactly the limit passes, and every answer carries consistent headers.
func TestRateLimitConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *core.Config) { limitsOn(c); c.RateLimits.Limits = map[string]int{"account.create": 37} })
	const n = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	passed, refused := 0, 0
	remaining := map[string]int{}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do("POST", "/v1/account", `{}`, nil)
			mu.Lock()
			defer mu.Unlock()
			remaining[r.header.Get("X-RateLimit-Remaining")]++
			switch r.status {
			case 400:
				passed++
			case 429:
				refused++
			default:
				t.Errorf("status %d", r.status)
			}
		}()
	}
	wg.Wait()
	if passed != 37 || refused != n-37 {
		t.Fatalf("passed %d, refused %d; want 37 and %d", passed, refused, n-37)
	}
	// Each allowed request saw a distinct remaining count 36…0; all the
	// refused ones saw 0.
	for i := 1; i <= 36; i++ {
		if remaining[strconv.Itoa(i)] != 1 {
			t.Errorf("remaining %d seen %d times", i, remaining[strconv.Itoa(i)])
		}
	}
	if remaining["0"] != n-37+1 {
		t.Errorf("remaining 0 seen %d times, want %d", remaining["0"], n-37+1)
	}
}

// TestRateLimitEmailSpellings: every spelling of one address the handlers
// accept as that address counts against one per-email counter, so the
// per-email sign-in lockout cannot be dodged by changing the case,
// adding spaces or writing K as the Kelvin sign.
func TestRateLimitEmailSpellings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *core.Config) {
		limitsOn(c)
		c.RateLimits.Limits = map[string]int{"sessions.email": 3}
	})
	e.signUp("victim@example.com", "password123")
	for _, email := range []string{"Victim@Example.com", " victim@example.com", "victim@example.com"} {
		checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"`+email+`","password":"wrong-password"}`, nil), 401, "user_invalid_credentials", "")
	}
	checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"VICTIM@EXAMPLE.COM\t","password":"password123"}`, nil), 429, "general_rate_limit_exceeded", "")

	e.signUp("kate@example.com", "password123")
	for _, email := range []string{`\u212aate@example.com`, `\u212aATE@example.com`, "kate@example.com"} {
		checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"`+email+`","password":"wrong-password"}`, nil), 401, "user_invalid_credentials", "")
	}
	checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"Kate@example.com","password":"password123"}`, nil), 429, "general_rate_limit_exceeded", "")
}

// TestMagicURLLimits: magic-URL mails are limited per address whatever
// its spelling, and per IP across addresses.
func TestMagicURLLimits(t *testing.T) {
	t.Parallel()
	e, box := newDeliveryEnv(t, func(c *core.Config) {
		limitsOn(c)
		c.RateLimits.Limits = map[string]int{"magic_url.create": 2, "magic_url.create_ip": 4}
	})
	send := func(email string) response {
		return e.do("POST", "/v1/account/sessions/magic-url", `{"userId":"unique()","email":"`+email+`"}`, nil)
	}
	for _, email := range []string{"Victim@Example.com", " victim@example.com"} {
		if r := send(email); r.status != 201 {
			t.Fatalf("%q: %d %s", email, r.status, r.body)
		}
	}
	checkError(t, send("victim@example.com"), 429, "general_rate_limit_exceeded", "")
	if m := box.waitMail(t, 2); m.To != "victim@example.com" {
		t.Fatalf("mail to %q", m.To)
	}
	// Per IP: this IP has made 3 requests; one more address passes, then
	// every address is refused.
	if r := send("other@example.com"); r.status != 201 {
		t.Fatalf("other address: %d %s", r.status, r.body)
	}
	checkError(t, send("third@example.com"), 429, "general_rate_limit_exceeded", "")
}

package account_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// halfSignedIn makes a user with a verified authenticator and MFA on,
// and returns a fresh sign-in (one factor) and the TOTP secret.
func halfSignedIn(t *testing.T, e *env, email string) (map[string]string, string) {
	t.Helper()
	h := mfaUser(e, email)
	secret := addTOTP(t, e, h)
	if r := e.do("PATCH", "/v1/account/mfa", `{"mfa":true}`, h); r.status != 200 {
		t.Fatalf("enable: %d %s", r.status, r.body)
	}
	c, _ := e.signIn(email, "password123")
	return withFormat(cookieHeader(c), "1.6.0"), secret
}

// challenge creates a challenge for factor and returns its id.
func challenge(t *testing.T, e *env, h map[string]string, factor string) string {
	t.Helper()
	r := e.do("POST", "/v1/account/mfa/challenge", `{"factor":"`+factor+`"}`, h)
	if r.status != 201 {
		t.Fatalf("challenge %s: %d %s", factor, r.status, r.body)
	}
	m := r.json(t)
	if m["userId"] == "" || m["expire"] == "" || m["$createdAt"] == "" {
		t.Fatalf("challenge model: %s", r.body)
	}
	return m["$id"].(string)
}

func complete(e *env, h map[string]string, id, code string) response {
	return e.do("PUT", "/v1/account/mfa/challenge", `{"challengeId":"`+id+`","otp":"`+code+`"}`, h)
}

// TestMFAChallengesPlural: today's SDKs use /mfa/challenges; it is the
// same route, open to a half-signed-in session.
func TestMFAChallengesPlural(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	h := mfaUser(e, "mfa-plural@example.com")
	codes := e.do("POST", "/v1/account/mfa/recovery-codes", "", h).json(t)["recoveryCodes"].([]any)
	e.do("PATCH", "/v1/account/mfa", `{"mfa":true}`, h)
	r := e.do("POST", "/v1/account/mfa/challenges", `{"factor":"recoverycode"}`, h)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := r.json(t)["$id"].(string)
	checkError(t, e.do("PUT", "/v1/account/mfa/challenges", `{"challengeId":"`+id+`","otp":"wrong"}`, h), 401, "user_invalid_token", "")
	if r := e.do("PUT", "/v1/account/mfa/challenges", `{"challengeId":"`+id+`","otp":"`+codes[0].(string)+`"}`, h); r.status != 200 {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/v1/account", "", h); r.status != 200 {
		t.Fatalf("account: %d %s", r.status, r.body)
	}
}

func TestMFAEnforcedUntilChallenge(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	h, secret := halfSignedIn(t, e, "mfa-enforce@example.com")
	more := "More factors are required to complete the sign in process."
	checkError(t, e.do("GET", "/v1/account", "", h), 401, "user_more_factors_required", more)
	for _, rt := range [][2]string{{"GET", "/v1/account/sessions"}, {"PATCH", "/v1/account/name"}, {"POST", "/v1/account/jwts"},
		{"PATCH", "/v1/account/mfa"}, {"DELETE", "/v1/account/mfa/authenticators/totp"}, {"PATCH", "/v1/account/mfa/recovery-codes"}} {
		checkError(t, e.do(rt[0], rt[1], `{"name":"x","mfa":false}`, h), 401, "user_more_factors_required", more)
	}
	if r := e.do("GET", "/v1/account/mfa/factors", "", h); r.status != 200 || r.json(t)["totp"] != true {
		t.Fatalf("factors: %d %s", r.status, r.body)
	}
	// The gate refuses the session too.
	gate := func() *core.Error {
		req := httptest.NewRequest("GET", "http://localhost:8080/app", nil)
		req.Header.Set("Cookie", h["Cookie"])
		_, err := e.svc.GateCheck(req)
		return err
	}
	if err := gate(); err == nil || err.Type != core.ErrUserMoreFactorsRequired || err.Status() != 401 {
		t.Fatalf("gate: %v", err)
	}

	id := challenge(t, e, h, "totp")
	checkError(t, complete(e, h, id, "000000"), 401, "user_invalid_token", "")
	checkError(t, complete(e, h, "nosuch", totpCode(t, secret, e.clock.Now())), 401, "user_invalid_token", "")
	// The code of the step the authenticator was verified with is spent.
	checkError(t, complete(e, h, id, totpCode(t, secret, e.clock.Now())), 401, "user_invalid_token", "")
	e.clock.Advance(30 * time.Second)
	code := totpCode(t, secret, e.clock.Now())
	r := complete(e, h, id, code)
	if r.status != 200 {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}
	s := r.json(t)
	if f, _ := s["factors"].([]any); len(f) != 2 || f[0] != "password" || f[1] != "totp" || s["mfaUpdatedAt"] == "" {
		t.Fatalf("session after challenge: %s", r.body)
	}
	if r := e.do("GET", "/v1/account", "", h); r.status != 200 || r.json(t)["mfa"] != true {
		t.Fatalf("account after challenge: %d %s", r.status, r.body)
	}
	if err := gate(); err != nil {
		t.Fatalf("gate after challenge: %v", err)
	}
	// A challenge works once, and so does the code: a second sign-in
	// cannot reuse it.
	checkError(t, complete(e, h, id, code), 401, "user_invalid_token", "")
	c2, _ := e.signIn("mfa-enforce@example.com", "password123")
	h2 := withFormat(cookieHeader(c2), "1.6.0")
	checkError(t, complete(e, h2, challenge(t, e, h2, "totp"), code), 401, "user_invalid_token", "")
	checkError(t, e.do("GET", "/v1/account", "", h2), 401, "user_more_factors_required", more)
	// Sign-out stays open.
	if r := e.do("DELETE", "/v1/account/sessions/current", "", h2); r.status != 204 {
		t.Fatalf("sign-out: %d %s", r.status, r.body)
	}
}

func TestMFAJWTOfHalfSignedInSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	h := mfaUser(e, "mfa-jwt@example.com")
	jwt := e.do("POST", "/v1/account/jwts", "", h).json(t)["jwt"].(string)
	// Turning MFA on without a factor proved by this session makes the
	// session, and its JWT, half signed in.
	e.do("POST", "/v1/account/mfa/recovery-codes", "", h)
	if r := e.do("PATCH", "/v1/account/mfa", `{"mfa":true}`, h); r.status != 200 {
		t.Fatalf("enable: %d %s", r.status, r.body)
	}
	checkError(t, e.do("GET", "/v1/account", "", map[string]string{"X-Appwrite-JWT": jwt}), 401, "user_more_factors_required", "")
	req := httptest.NewRequest("GET", "http://localhost:8080/app", nil)
	req.Header.Set("Authorization", "Bearer "+jwt)
	if _, err := e.svc.GateCheck(req); err == nil || err.Type != core.ErrUserMoreFactorsRequired {
		t.Fatalf("gate with the JWT: %v", err)
	}
}

func TestMFARecoveryCodeChallenge(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	h := mfaUser(e, "mfa-rc@example.com")
	codes := e.do("POST", "/v1/account/mfa/recovery-codes", "", h).json(t)["recoveryCodes"].([]any)
	e.do("PATCH", "/v1/account/mfa", `{"mfa":true}`, h)
	checkError(t, e.do("GET", "/v1/account", "", h), 401, "user_more_factors_required", "")
	checkError(t, e.do("POST", "/v1/account/mfa/challenge", `{"factor":"totp"}`, h), 400, "general_argument_invalid", "")
	checkError(t, e.do("POST", "/v1/account/mfa/challenge", `{"factor":"sms"}`, h), 400, "general_argument_invalid", "")
	checkError(t, e.do("POST", "/v1/account/mfa/challenge", `{}`, h), 400, "general_argument_invalid", "")
	id := challenge(t, e, h, "recoverycode")
	checkError(t, complete(e, h, id, "notacode00"), 401, "user_invalid_token", "")
	if r := complete(e, h, id, codes[0].(string)); r.status != 200 {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/v1/account", "", h); r.status != 200 {
		t.Fatalf("account: %d %s", r.status, r.body)
	}
	// The code is spent: another session cannot use it.
	c2, _ := e.signIn("mfa-rc@example.com", "password123")
	h2 := withFormat(cookieHeader(c2), "1.6.0")
	checkError(t, complete(e, h2, challenge(t, e, h2, "recoverycode"), codes[0].(string)), 401, "user_invalid_token", "")
	if r := complete(e, h2, challenge(t, e, h2, "recoverycode"), codes[1].(string)); r.status != 200 {
		t.Fatalf("second code: %d %s", r.status, r.body)
	}
}

func TestMFAEmailAndPhoneChallenge(t *testing.T) {
	t.Parallel()
	e, box := newDeliveryEnv(t, nil)
	h := mfaUser(e, "mfa-mail@example.com")
	checkError(t, e.do("POST", "/v1/account/mfa/challenge", `{"factor":"email"}`, h), 400, "general_argument_invalid", "")
	// Verify the email and phone (as the verification flows would).
	ctx := context.Background()
	id := e.do("GET", "/v1/account", "", h).json(t)["$id"].(string)
	u, _ := e.store.UserByID(ctx, id)
	u.EmailVerification, u.Phone, u.PhoneVerification = true, "+15550001111", true
	if err := e.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	e.do("PATCH", "/v1/account/mfa", `{"mfa":true}`, h)
	checkError(t, e.do("GET", "/v1/account", "", h), 401, "user_more_factors_required", "")

	cid := challenge(t, e, h, "email")
	code := sixDigits.FindString(box.waitMail(t, 1).Text)
	if code == "" {
		t.Fatal("no code in the mail")
	}
	other := "000000"
	if code == other {
		other = "111111"
	}
	checkError(t, complete(e, h, cid, other), 401, "user_invalid_token", "")
	r := complete(e, h, cid, code)
	if r.status != 200 {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}
	if f, _ := r.json(t)["factors"].([]any); len(f) != 2 || f[1] != "email" {
		t.Fatalf("factors: %s", r.body)
	}
	checkError(t, complete(e, h, cid, code), 401, "user_invalid_token", "")

	c2, _ := e.signIn("mfa-mail@example.com", "password123")
	h2 := withFormat(cookieHeader(c2), "1.6.0")
	pid := challenge(t, e, h2, "phone")
	text := box.waitText(t, 1)
	if !sixDigits.MatchString(text) {
		t.Fatalf("SMS %q", text)
	}
	// A phone code does not complete an email challenge.
	eid := challenge(t, e, h2, "email")
	checkError(t, complete(e, h2, eid, sixDigits.FindString(text)), 401, "user_invalid_token", "")
	if r := complete(e, h2, pid, sixDigits.FindString(text)); r.status != 200 {
		t.Fatalf("phone: %d %s", r.status, r.body)
	}
}

func TestMFAChallengeRateLimited(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *core.Config) { c.RateLimits.Off = false })
	h, _ := halfSignedIn(t, e, "mfa-limit@example.com")
	id := challenge(t, e, h, "totp")
	for range 10 {
		checkError(t, complete(e, h, id, "000000"), 401, "user_invalid_token", "")
	}
	checkError(t, complete(e, h, id, "000000"), 429, "general_rate_limit_exceeded", "")
}

// TestMFAShownInModels: the account model of every profile route carries
// the `mfa` switch, and the session models carry the factors proved after
// sign-in.
func TestMFAShownInModels(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	h := mfaUser(e, "mfa-models@example.com")
	addTOTP(t, e, h)
	e.do("PATCH", "/v1/account/mfa", `{"mfa":true}`, h)
	if r := e.do("PATCH", "/v1/account/name", `{"name":"Renamed"}`, h); r.status != 200 || r.json(t)["mfa"] != true {
		t.Fatalf("PATCH name: %d %s", r.status, r.body)
	}
	if r := e.do("PATCH", "/v1/account/prefs", `{"prefs":{"a":1}}`, h); r.status != 200 || r.json(t)["mfa"] != true {
		t.Fatalf("PATCH prefs: %d %s", r.status, r.body)
	}
	r := e.do("GET", "/v1/account/sessions/current", "", h)
	s := r.json(t)
	if f, _ := s["factors"].([]any); r.status != 200 || len(f) != 2 || f[1] != "totp" || s["mfaUpdatedAt"] == "" {
		t.Fatalf("current session: %d %s", r.status, r.body)
	}
	list := e.do("GET", "/v1/account/sessions", "", h).json(t)["sessions"].([]any)
	if f, _ := list[0].(map[string]any)["factors"].([]any); len(f) != 2 {
		t.Fatalf("listed session: %v", list[0])
	}
}

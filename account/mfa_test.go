package account_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// totpCode is the authenticator app's code for secret at t.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// mfaUser signs up and in a fresh user and returns the headers of a
// today's SDK (response format 1.6) with the session cookie.
func mfaUser(e *env, email string) map[string]string {
	e.signUp(email, "password123")
	c, _ := e.signIn(email, "password123")
	return withFormat(cookieHeader(c), "1.6.0")
}

// addTOTP gives the caller a verified authenticator (which also proves
// the factor for the caller's session) and returns its secret.
func addTOTP(t *testing.T, e *env, h map[string]string) string {
	t.Helper()
	secret := e.do("POST", "/v1/account/mfa/authenticators/totp", "", h).json(t)["secret"].(string)
	if r := e.do("PUT", "/v1/account/mfa/authenticators/totp", `{"otp":"`+totpCode(t, secret, e.clock.Now())+`"}`, h); r.status != 200 {
		t.Fatalf("verify authenticator: %d %s", r.status, r.body)
	}
	return secret
}

func TestMFAToggle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	h := mfaUser(e, "mfa-toggle@example.com")
	if m := e.do("GET", "/v1/account", "", h).json(t); m["mfa"] != false {
		t.Fatalf("new account mfa = %v", m["mfa"])
	}
	addTOTP(t, e, h)
	r := e.do("PATCH", "/v1/account/mfa", `{"mfa":true}`, h)
	if r.status != 200 || r.json(t)["mfa"] != true {
		t.Fatalf("enable: %d %s", r.status, r.body)
	}
	// This session proved TOTP when the authenticator was verified.
	if m := e.do("GET", "/v1/account", "", h).json(t); m["mfa"] != true {
		t.Fatalf("after enabling mfa = %v", m["mfa"])
	}
	if r := e.do("PATCH", "/v1/account/mfa", `{"mfa":false}`, h); r.status != 200 || r.json(t)["mfa"] != false {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	if m := e.do("GET", "/v1/account", "", h).json(t); m["mfa"] != false {
		t.Fatalf("after disabling mfa = %v", m["mfa"])
	}
	checkError(t, e.do("PATCH", "/v1/account/mfa", `{}`, h), 400, "general_argument_invalid", `Param "mfa" is not optional.`)
	checkError(t, e.do("PATCH", "/v1/account/mfa", `{"mfa":"yes"}`, h), 400, "general_argument_invalid", "Invalid mfa: Value must be a valid boolean")
}

func TestMFAGuestsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, rt := range [][2]string{
		{"PATCH", "/v1/account/mfa"}, {"GET", "/v1/account/mfa/factors"},
		{"POST", "/v1/account/mfa/authenticators/totp"}, {"PUT", "/v1/account/mfa/authenticators/totp"},
		{"DELETE", "/v1/account/mfa/authenticators/totp"}, {"POST", "/v1/account/mfa/recovery-codes"},
		{"GET", "/v1/account/mfa/recovery-codes"}, {"PATCH", "/v1/account/mfa/recovery-codes"},
	} {
		checkError(t, e.do(rt[0], rt[1], `{"mfa":true,"otp":"123456"}`, nil), 401, "general_unauthorized_scope", "")
	}
}

func TestMFATOTPAuthenticator(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	h := mfaUser(e, "mfa-totp@example.com")
	checkError(t, e.do("POST", "/v1/account/mfa/authenticators/sms", "", h), 400, "general_argument_invalid", "Invalid type: Value must be one of (totp)")
	checkError(t, e.do("PUT", "/v1/account/mfa/authenticators/totp", `{"otp":"123456"}`, h), 404, "user_authenticator_not_found", "")
	checkError(t, e.do("DELETE", "/v1/account/mfa/authenticators/totp", "", h), 404, "user_authenticator_not_found", "")

	r := e.do("POST", "/v1/account/mfa/authenticators/totp", "", h)
	if r.status != 200 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	m := r.json(t)
	secret, uri := m["secret"].(string), m["uri"].(string)
	if len(secret) < 32 || !strings.HasPrefix(uri, "otpauth://totp/") || !strings.Contains(uri, "secret="+secret) {
		t.Fatalf("authenticator model: %s", r.body)
	}
	// The secret is sealed at rest.
	userID := e.do("GET", "/v1/account", "", h).json(t)["$id"].(string)
	st, err := e.store.MFAOf(context.Background(), userID)
	if err != nil || st.TOTPSecret == nil || strings.Contains(string(st.TOTPSecret), secret) || st.TOTPVerified {
		t.Fatalf("stored state %+v, %v", st, err)
	}
	// A second POST before verifying replaces the secret.
	secret = e.do("POST", "/v1/account/mfa/authenticators/totp", "", h).json(t)["secret"].(string)
	if f := e.do("GET", "/v1/account/mfa/factors", "", h).json(t); f["totp"] != false {
		t.Fatalf("unverified authenticator counts as a factor: %v", f)
	}

	now := e.clock.Now()
	checkError(t, e.do("PUT", "/v1/account/mfa/authenticators/totp", `{}`, h), 400, "general_argument_invalid", `Param "otp" is not optional.`)
	checkError(t, e.do("PUT", "/v1/account/mfa/authenticators/totp", `{"otp":"12345"}`, h), 401, "user_invalid_token", "")
	// Two steps off is outside the skew window.
	checkError(t, e.do("PUT", "/v1/account/mfa/authenticators/totp", `{"otp":"`+totpCode(t, secret, now.Add(-61*time.Second))+`"}`, h), 401, "user_invalid_token", "")
	// One step back is within it.
	r = e.do("PUT", "/v1/account/mfa/authenticators/totp", `{"otp":"`+totpCode(t, secret, now.Add(-30*time.Second))+`"}`, h)
	if r.status != 200 || r.json(t)["$id"] != userID {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	if f := e.do("GET", "/v1/account/mfa/factors", "", h).json(t); f["totp"] != true || f["email"] != false || f["recoveryCode"] != false {
		t.Fatalf("factors after verifying: %v", f)
	}
	checkError(t, e.do("PUT", "/v1/account/mfa/authenticators/totp", `{"otp":"`+totpCode(t, secret, now)+`"}`, h), 409, "user_authenticator_already_verified", "")
	checkError(t, e.do("POST", "/v1/account/mfa/authenticators/totp", "", h), 409, "user_authenticator_already_verified", "")

	if r := e.do("DELETE", "/v1/account/mfa/authenticators/totp", "", h); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if f := e.do("GET", "/v1/account/mfa/factors", "", h).json(t); f["totp"] != false {
		t.Fatalf("factors after delete: %v", f)
	}
	checkError(t, e.do("DELETE", "/v1/account/mfa/authenticators/totp", "", h), 404, "user_authenticator_not_found", "")
}

func TestMFATOTPCodeWorksOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	h := mfaUser(e, "mfa-once@example.com")
	now := e.clock.Now()
	// Verify with the code of the current step, then start over with a
	// new secret: the same step is spent, whatever the secret.
	s1 := e.do("POST", "/v1/account/mfa/authenticators/totp", "", h).json(t)["secret"].(string)
	if r := e.do("PUT", "/v1/account/mfa/authenticators/totp", `{"otp":"`+totpCode(t, s1, now)+`"}`, h); r.status != 200 {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	e.do("DELETE", "/v1/account/mfa/authenticators/totp", "", h)
	s2 := e.do("POST", "/v1/account/mfa/authenticators/totp", "", h).json(t)["secret"].(string)
	checkError(t, e.do("PUT", "/v1/account/mfa/authenticators/totp", `{"otp":"`+totpCode(t, s2, now)+`"}`, h), 401, "user_invalid_token", "")
	checkError(t, e.do("PUT", "/v1/account/mfa/authenticators/totp", `{"otp":"`+totpCode(t, s2, now.Add(-30*time.Second))+`"}`, h), 401, "user_invalid_token", "")
	e.clock.Advance(30 * time.Second)
	if r := e.do("PUT", "/v1/account/mfa/authenticators/totp", `{"otp":"`+totpCode(t, s2, e.clock.Now())+`"}`, h); r.status != 200 {
		t.Fatalf("next step: %d %s", r.status, r.body)
	}
}

func TestMFARecoveryCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	h := mfaUser(e, "mfa-recovery@example.com")
	checkError(t, e.do("GET", "/v1/account/mfa/recovery-codes", "", h), 404, "user_recovery_codes_not_found", "")
	checkError(t, e.do("PATCH", "/v1/account/mfa/recovery-codes", "", h), 404, "user_recovery_codes_not_found", "")
	codes := func(r response, status int) []string {
		t.Helper()
		if r.status != status {
			t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
		}
		var out []string
		seen := map[string]bool{}
		for _, c := range r.json(t)["recoveryCodes"].([]any) {
			s := c.(string)
			if len(s) != 10 || seen[s] {
				t.Fatalf("bad or repeated code %q in %s", s, r.body)
			}
			seen[s] = true
			out = append(out, s)
		}
		if len(out) != 10 {
			t.Fatalf("%d codes", len(out))
		}
		return out
	}
	first := codes(e.do("POST", "/v1/account/mfa/recovery-codes", "", h), 201)
	if f := e.do("GET", "/v1/account/mfa/factors", "", h).json(t); f["recoveryCode"] != true {
		t.Fatalf("factors: %v", f)
	}
	checkError(t, e.do("POST", "/v1/account/mfa/recovery-codes", "", h), 409, "user_recovery_codes_already_exists", "")
	// Only hashes are kept: GET cannot show them again.
	r := e.do("GET", "/v1/account/mfa/recovery-codes", "", h)
	checkError(t, r, 409, "user_recovery_codes_already_exists", "")
	for _, c := range first {
		if strings.Contains(r.body, c) {
			t.Fatalf("GET shows a code: %s", r.body)
		}
	}
	second := codes(e.do("PATCH", "/v1/account/mfa/recovery-codes", "", h), 200)
	for _, c := range second {
		for _, old := range first {
			if c == old {
				t.Fatalf("regenerated code %q repeats an old one", c)
			}
		}
	}
}

// TestMFAShownByUsersAPI: the admin Users API shows the `mfa` switch of a
// user.
func TestMFAShownByUsersAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withKeys)
	h := mfaUser(e, "mfa-admin@example.com")
	id := e.do("GET", "/v1/account", "", h).json(t)["$id"].(string)
	addTOTP(t, e, h)
	e.do("PATCH", "/v1/account/mfa", `{"mfa":true}`, h)
	r := e.do("GET", "/v1/users/"+id, "", withFormat(key(keyAll), "1.6.0"))
	if r.status != 200 || r.json(t)["mfa"] != true {
		t.Fatalf("GET /v1/users/%s: %d %s", id, r.status, r.body)
	}
}

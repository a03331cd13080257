package account_test

import (
	"strings"
	"testing"

	"github.com/accountgate/accountgate/account/core"
)

func TestPrefs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.signUp("p@example.com", "password123")
	c, _ := e.signIn("p@example.com", "password123")
	h := cookieHeader(c)
	if r := e.do("GET", "/v1/account/prefs", "", h); r.status != 200 || r.body != "{}" {
		t.Fatalf("empty prefs: %d %s", r.status, r.body)
	}
	r := e.do("PATCH", "/v1/account/prefs", `{"prefs":{"theme":"dark","n":{"a":[1,2]}}}`, h)
	if r.status != 200 || !strings.Contains(r.body, `"prefs":{"theme":"dark","n":{"a":[1,2]}}`) {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/v1/account/prefs", "", h); r.body != `{"theme":"dark","n":{"a":[1,2]}}` {
		t.Fatalf("read back: %s", r.body)
	}
	// A new object replaces the old one.
	e.do("PATCH", "/v1/account/prefs", `{"prefs":{"lang":"en"}}`, h)
	if r := e.do("GET", "/v1/account/prefs", "", h); r.body != `{"lang":"en"}` {
		t.Fatalf("replace: %s", r.body)
	}
	const invalid = "Invalid prefs: Value must be a valid object."
	for _, body := range []string{`{"prefs":"{}"}`, `{"prefs":[]}`, `{"prefs":"{\"test\": \"value\"}"}`, `{"prefs":5}`,
		`{"prefs":{"long":"` + strings.Repeat("🍰", 100000) + `"}}`, `{"prefs":{"long":"` + strings.Repeat("-", 65600) + `"}}`} {
		checkError(t, e.do("PATCH", "/v1/account/prefs", body, h), 400, "general_argument_invalid", invalid)
	}
	// 5,400 emoji are 21,600 bytes raw but 64,800 escaped: still allowed.
	if r := e.do("PATCH", "/v1/account/prefs", `{"prefs":{"e":"`+strings.Repeat("🍰", 5400)+`"}}`, h); r.status != 200 {
		t.Fatalf("prefs under the escaped limit: %d", r.status)
	}
	checkError(t, e.do("PATCH", "/v1/account/prefs", `{}`, h), 400, "general_argument_invalid", `Param "prefs" is not optional.`)
	checkError(t, e.do("PATCH", "/v1/account/prefs", `{"prefs":{}}`, nil), 401, "general_unauthorized_scope", "")
}

func TestUpdateName(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.signUp("n@example.com", "password123")
	c, _ := e.signIn("n@example.com", "password123")
	h := cookieHeader(c)
	e.do("GET", "/v1/account", "", h) // cached: the change must still show
	if r := e.do("PATCH", "/v1/account/name", `{"name":"New Name"}`, h); r.status != 200 || r.json(t)["name"] != "New Name" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := e.do("GET", "/v1/account", "", h); r.json(t)["name"] != "New Name" {
		t.Fatalf("stale cached user: %s", r.body)
	}
	checkError(t, e.do("PATCH", "/v1/account/name", `{}`, h), 400, "general_argument_invalid", `Param "name" is not optional.`)
	checkError(t, e.do("PATCH", "/v1/account/name", `{"name":""}`, h), 400, "general_argument_invalid", "")
	checkError(t, e.do("PATCH", "/v1/account/name", `{"name":"`+strings.Repeat("x", 129)+`"}`, h), 400, "general_argument_invalid", "")
}

func TestUpdatePassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *core.Config) { c.PasswordHistory = 2; c.RevokeSessionsOnPasswordChange = true })
	e.signUp("pw@example.com", "password123")
	c, _ := e.signIn("pw@example.com", "password123")
	other, _ := e.signIn("pw@example.com", "password123")
	h := cookieHeader(c)
	checkError(t, e.do("PATCH", "/v1/account/password", `{"password":"newpassword1"}`, h), 401, "user_invalid_credentials", "")
	checkError(t, e.do("PATCH", "/v1/account/password", `{"password":"newpassword1","oldPassword":"wrongpass1"}`, h), 401, "user_invalid_credentials", "")
	checkError(t, e.do("PATCH", "/v1/account/password", `{"password":"newpassword1","oldPassword":""}`, h), 400, "general_argument_invalid", "Invalid oldPassword: Password must be at least 8 characters")
	checkError(t, e.do("PATCH", "/v1/account/password", `{"password":"short","oldPassword":"password123"}`, h), 400, "general_argument_invalid", "")
	checkError(t, e.do("PATCH", "/v1/account/password", `{"password":"password123","oldPassword":"password123"}`, h), 409, "password_recently_used", "The password was recently used")
	if r := e.do("PATCH", "/v1/account/password", `{"password":"newpassword1","oldPassword":"password123"}`, h); r.status != 200 {
		t.Fatalf("change: %d %s", r.status, r.body)
	}
	// The other session is revoked; the current one stays.
	checkError(t, e.do("GET", "/v1/account", "", cookieHeader(other)), 401, "general_unauthorized_scope", "")
	if r := e.do("GET", "/v1/account", "", h); r.status != 200 {
		t.Fatalf("current session revoked: %s", r.body)
	}
	checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"pw@example.com","password":"password123"}`, nil), 401, "user_invalid_credentials", "")
	e.signIn("pw@example.com", "newpassword1")
	// History of 2: the first password is still remembered, a third is new.
	checkError(t, e.do("PATCH", "/v1/account/password", `{"password":"password123","oldPassword":"newpassword1"}`, h), 409, "password_recently_used", "")
	if r := e.do("PATCH", "/v1/account/password", `{"password":"thirdpass1","oldPassword":"newpassword1"}`, h); r.status != 200 {
		t.Fatal(r.body)
	}
	if r := e.do("PATCH", "/v1/account/password", `{"password":"password123","oldPassword":"thirdpass1"}`, h); r.status != 200 {
		t.Fatalf("a password beyond the history depth is allowed again: %d %s", r.status, r.body)
	}
}

func TestAnonymousSessionAndConversion(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.do("POST", "/v1/account/sessions/anonymous", "", nil)
	if r.status != 201 || r.json(t)["provider"] != "anonymous" {
		t.Fatalf("anonymous: %d %s", r.status, r.body)
	}
	cookie := strings.SplitN(r.header.Values("Set-Cookie")[1], ";", 2)[0]
	h := cookieHeader(cookie)
	acc := e.do("GET", "/v1/account", "", h).json(t)
	if acc["email"] != "" || acc["passwordUpdate"] != "" || acc["name"] != "" {
		t.Errorf("anonymous account: %v", acc)
	}
	checkError(t, e.do("POST", "/v1/account/sessions/anonymous", "", h), 401, "user_session_already_exists", "Cannot create an anonymous user when logged in")
	e.do("PATCH", "/v1/account/prefs", `{"prefs":{"cart":3}}`, h)

	e.signUp("taken@example.com", "password123")
	checkError(t, e.do("PATCH", "/v1/account/password", `{"password":"newpassword1","oldPassword":""}`, h), 400, "general_argument_invalid", "")
	checkError(t, e.do("PATCH", "/v1/account/email", `{"email":"x@example.com","password":""}`, h), 400, "general_argument_invalid", "")
	checkError(t, e.do("PATCH", "/v1/account/email", `{"email":"taken@example.com","password":"password123"}`, h), 409, "user_email_already_exists", "")
	r = e.do("PATCH", "/v1/account/email", `{"email":"Conv@Example.com","password":"convpass123"}`, h)
	if r.status != 200 {
		t.Fatalf("convert: %d %s", r.status, r.body)
	}
	conv := r.json(t)
	if conv["$id"] != acc["$id"] || conv["email"] != "conv@example.com" || conv["emailVerification"] != false {
		t.Fatalf("converted account: %s", r.body)
	}
	// Same id, same session, same prefs; the new password signs in.
	if r := e.do("GET", "/v1/account/prefs", "", h); r.body != `{"cart":3}` {
		t.Fatalf("prefs lost: %s", r.body)
	}
	_, s := e.signIn("conv@example.com", "convpass123")
	if s["userId"] != acc["$id"] {
		t.Fatal("sign-in after conversion reached another account")
	}
	// Now the account has a password: changing the email needs it.
	checkError(t, e.do("PATCH", "/v1/account/email", `{"email":"y@example.com","password":"wrongpass1"}`, h), 401, "user_invalid_credentials", "")
	if r := e.do("PATCH", "/v1/account/email", `{"email":"y@example.com","password":"convpass123"}`, h); r.status != 200 {
		t.Fatal(r.body)
	}
}

func TestUpdatePhone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.signUp("ph@example.com", "password123")
	e.signUp("ph2@example.com", "password123")
	c, _ := e.signIn("ph@example.com", "password123")
	c2, _ := e.signIn("ph2@example.com", "password123")
	const desc = "Invalid phone: Phone number must start with a '+' can have a maximum of fifteen digits."
	for _, bad := range []string{"123456789", "+0123", "+1", "+1234567890123456", "+12a4"} {
		checkError(t, e.do("PATCH", "/v1/account/phone", `{"phone":"`+bad+`","password":"password123"}`, cookieHeader(c)), 400, "general_argument_invalid", desc)
	}
	checkError(t, e.do("PATCH", "/v1/account/phone", `{"phone":"+123456789","password":"wrongpass1"}`, cookieHeader(c)), 401, "user_invalid_credentials", "")
	r := e.do("PATCH", "/v1/account/phone", `{"phone":"+123456789","password":"password123"}`, cookieHeader(c))
	if r.status != 200 || r.json(t)["phone"] != "+123456789" || r.json(t)["phoneVerification"] != false {
		t.Fatalf("%d %s", r.status, r.body)
	}
	checkError(t, e.do("PATCH", "/v1/account/phone", `{"phone":"+123456789","password":"password123"}`, cookieHeader(c2)), 409, "user_phone_already_exists", "")
	checkError(t, e.do("PATCH", "/v1/account/phone", `{}`, cookieHeader(c2)), 400, "general_argument_invalid", `Param "phone" is not optional.`)
}

func TestUpdateStatusBlocks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.signUp("st@example.com", "password123")
	c, _ := e.signIn("st@example.com", "password123")
	other, _ := e.signIn("st@example.com", "password123")
	jwt := e.do("POST", "/v1/account/jwt", "", cookieHeader(other)).json(t)["jwt"].(string)
	e.do("GET", "/v1/account", "", cookieHeader(other)) // cached
	r := e.do("PATCH", "/v1/account/status", `{}`, cookieHeader(c))
	if r.status != 200 || r.json(t)["status"] != false || r.header.Get("X-Fallback-Cookies") != "[]" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, h := range []map[string]string{cookieHeader(c), cookieHeader(other), {"X-Appwrite-JWT": jwt}} {
		checkError(t, e.do("GET", "/v1/account", "", h), 401, "user_blocked", "")
	}
	checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"st@example.com","password":"password123"}`, nil), 401, "user_blocked", "")
}

func TestDisabledMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *core.Config) {
		c.Disabled = map[core.AuthMethodName]bool{core.MethodEmailPassword: true, core.MethodAnonymous: true, core.MethodJWT: true}
	})
	checkError(t, e.do("POST", "/v1/account", `{"userId":"unique()","email":"d@example.com","password":"password123"}`, nil), 501, "user_auth_method_unsupported",
		"Email / Password authentication is disabled for this project")
	checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"d@example.com","password":"password123"}`, nil), 501, "user_auth_method_unsupported", "")
	checkError(t, e.do("POST", "/v1/account/sessions/anonymous", ``, nil), 501, "user_auth_method_unsupported", "Anonymous authentication is disabled for this project")
}

package account_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/accountgate/accountgate/account/core"
)

// sessionCookie is the cookie header value of the session a response set.
func sessionCookie(t *testing.T, r response) map[string]string {
	t.Helper()
	if r.status != 200 && r.status != 201 || len(r.header.Values("Set-Cookie")) < 2 {
		t.Fatalf("no session: %d %s", r.status, r.body)
	}
	return cookieHeader(strings.SplitN(r.header.Values("Set-Cookie")[1], ";", 2)[0])
}

// confirmBody is the body of a PUT that spends the token of link q.
func confirmBody(q url.Values) string {
	return `{"userId":"` + q.Get("userId") + `","secret":"` + q.Get("secret") + `"}`
}

// recoveryBody is the body of PUT /recovery with link q and password pw.
func recoveryBody(q url.Values, pw string) string {
	return `{"userId":"` + q.Get("userId") + `","secret":"` + q.Get("secret") + `","password":"` + pw + `","passwordAgain":"` + pw + `"}`
}

// editUser changes a stored user behind the service's back, as an admin
// tool would: no token is revoked.
func (e *env) editUser(id string, edit func(*core.User)) {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.store.UserByID(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	edit(u)
	if err := e.store.UpdateUser(ctx, u); err != nil {
		e.t.Fatal(err)
	}
}

// TestTokenBoundToEmail: a link proves only the address it was mailed to.
func TestTokenBoundToEmail(t *testing.T) {
	t.Parallel()

	t.Run("VerificationAfterEmailChange", func(t *testing.T) {
		t.Parallel()
		e, box := newDeliveryEnv(t, nil)
		e.signUp("a@example.com", "password123")
		c, _ := e.signIn("a@example.com", "password123")
		h := cookieHeader(c)
		if r := e.do("POST", "/v1/account/verification", `{"url":"http://localhost/verify"}`, h); r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		_, q := linkParams(t, box.waitMail(t, 1))
		if r := e.do("PATCH", "/v1/account/email", `{"email":"b@example.com","password":"password123"}`, h); r.status != 200 {
			t.Fatalf("email change: %d %s", r.status, r.body)
		}
		checkError(t, e.do("PUT", "/v1/account/verification", confirmBody(q), nil), 401, "user_invalid_token", "")
		if acc := e.do("GET", "/v1/account", "", h).json(t); acc["email"] != "b@example.com" || acc["emailVerification"] != false {
			t.Fatalf("b@ reads as verified by a link sent to a@: %v", acc)
		}
		// The change revoked the link: it stays void when a@ is back.
		if r := e.do("PATCH", "/v1/account/email", `{"email":"a@example.com","password":"password123"}`, h); r.status != 200 {
			t.Fatalf("email change back: %d %s", r.status, r.body)
		}
		checkError(t, e.do("PUT", "/v1/account/verification", confirmBody(q), nil), 401, "user_invalid_token", "")
	})

	t.Run("TargetCheckedWhenSpent", func(t *testing.T) {
		// An email changed without revoking tokens (an admin tool, or a
		// token issued during the change) still voids the link, for as
		// long as the address differs.
		t.Parallel()
		e, box := newDeliveryEnv(t, nil)
		id := e.signUp("a@example.com", "password123")
		c, _ := e.signIn("a@example.com", "password123")
		if r := e.do("POST", "/v1/account/verification", `{"url":"http://localhost/verify"}`, cookieHeader(c)); r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		_, q := linkParams(t, box.waitMail(t, 1))
		e.editUser(id, func(u *core.User) { u.Email = "b@example.com" })
		checkError(t, e.do("PUT", "/v1/account/verification", confirmBody(q), nil), 401, "user_invalid_token", "")
		e.editUser(id, func(u *core.User) { u.Email = "a@example.com" })
		if r := e.do("PUT", "/v1/account/verification", confirmBody(q), nil); r.status != 200 {
			t.Fatalf("the link to a@ while the account has a@: %d %s", r.status, r.body)
		}
	})

	t.Run("RecoveryAfterEmailChange", func(t *testing.T) {
		t.Parallel()
		e, box := newDeliveryEnv(t, nil)
		e.signUp("a@example.com", "password123")
		if r := e.do("POST", "/v1/account/recovery", `{"email":"a@example.com","url":"http://localhost/recovery"}`, nil); r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		_, q := linkParams(t, box.waitMail(t, 1))
		c, _ := e.signIn("a@example.com", "password123")
		if r := e.do("PATCH", "/v1/account/email", `{"email":"b@example.com","password":"password123"}`, cookieHeader(c)); r.status != 200 {
			t.Fatalf("email change: %d %s", r.status, r.body)
		}
		checkError(t, e.do("PUT", "/v1/account/recovery", recoveryBody(q, "stolen1234"), nil), 401, "user_invalid_token", "")
		checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"b@example.com","password":"stolen1234"}`, nil), 401, "user_invalid_credentials", "")
		e.signIn("b@example.com", "password123")
	})

	t.Run("RecoveryAfterPasswordChange", func(t *testing.T) {
		t.Parallel()
		e, box := newDeliveryEnv(t, nil)
		e.signUp("a@example.com", "password123")
		if r := e.do("POST", "/v1/account/recovery", `{"email":"a@example.com","url":"http://localhost/recovery"}`, nil); r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		_, q := linkParams(t, box.waitMail(t, 1))
		c, _ := e.signIn("a@example.com", "password123")
		if r := e.do("PATCH", "/v1/account/password", `{"password":"newpassword1","oldPassword":"password123"}`, cookieHeader(c)); r.status != 200 {
			t.Fatalf("password change: %d %s", r.status, r.body)
		}
		checkError(t, e.do("PUT", "/v1/account/recovery", recoveryBody(q, "stolen1234"), nil), 401, "user_invalid_token", "")
		e.signIn("a@example.com", "newpassword1")
	})

	t.Run("MagicURLAfterEmailChange", func(t *testing.T) {
		t.Parallel()
		e, box := newDeliveryEnv(t, nil)
		for range 2 {
			if r := e.do("POST", "/v1/account/sessions/magic-url", `{"userId":"unique()","email":"m@example.com"}`, nil); r.status != 201 {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
		}
		_, first := linkParams(t, box.waitMail(t, 1))
		_, second := linkParams(t, box.waitMail(t, 2))
		h := sessionCookie(t, e.do("PUT", "/v1/account/sessions/magic-url", confirmBody(second), nil))
		if r := e.do("PATCH", "/v1/account/email", `{"email":"n@example.com","password":"password123"}`, h); r.status != 200 {
			t.Fatalf("email change: %d %s", r.status, r.body)
		}
		checkError(t, e.do("PUT", "/v1/account/sessions/magic-url", confirmBody(first), nil), 401, "user_invalid_token", "")
		if acc := e.do("GET", "/v1/account", "", h).json(t); acc["emailVerification"] != false {
			t.Fatalf("n@ reads as verified by a link sent to m@: %v", acc)
		}
		if r := e.do("PATCH", "/v1/account/email", `{"email":"m@example.com","password":"password123"}`, h); r.status != 200 {
			t.Fatalf("email change back: %d %s", r.status, r.body)
		}
		checkError(t, e.do("PUT", "/v1/account/sessions/magic-url", confirmBody(first), nil), 401, "user_invalid_token", "")
	})
}

// TestTokenBoundToPhone: a code proves only the number it was texted to.
func TestTokenBoundToPhone(t *testing.T) {
	t.Parallel()

	t.Run("VerificationAfterPhoneChange", func(t *testing.T) {
		t.Parallel()
		e, box := newDeliveryEnv(t, nil)
		e.signUp("p@example.com", "password123")
		c, _ := e.signIn("p@example.com", "password123")
		h := cookieHeader(c)
		if r := e.do("PATCH", "/v1/account/phone", `{"phone":"+15550000001","password":"password123"}`, h); r.status != 200 {
			t.Fatalf("phone: %d %s", r.status, r.body)
		}
		r := e.do("POST", "/v1/account/verification/phone", "", h)
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		userID := r.json(t)["userId"].(string)
		code := strings.TrimPrefix(box.waitText(t, 1), "+15550000001: ")
		if r := e.do("PATCH", "/v1/account/phone", `{"phone":"+15550000002","password":"password123"}`, h); r.status != 200 {
			t.Fatalf("phone change: %d %s", r.status, r.body)
		}
		body := `{"userId":"` + userID + `","secret":"` + code + `"}`
		checkError(t, e.do("PUT", "/v1/account/verification/phone", body, h), 401, "user_invalid_token", "")
		if acc := e.do("GET", "/v1/account", "", h).json(t); acc["phoneVerification"] != false {
			t.Fatalf("the new number reads as verified by a code sent to the old one: %v", acc)
		}
		// The change revoked the code: it stays void when the number is back.
		if r := e.do("PATCH", "/v1/account/phone", `{"phone":"+15550000001","password":"password123"}`, h); r.status != 200 {
			t.Fatalf("phone change back: %d %s", r.status, r.body)
		}
		checkError(t, e.do("PUT", "/v1/account/verification/phone", body, h), 401, "user_invalid_token", "")
	})

	t.Run("SignInCodeAfterPhoneChange", func(t *testing.T) {
		t.Parallel()
		e, box := newDeliveryEnv(t, nil)
		var userID string
		for range 2 {
			r := e.do("POST", "/v1/account/sessions/phone", `{"userId":"unique()","phone":"+15550000001"}`, nil)
			if r.status != 201 {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			userID = r.json(t)["userId"].(string)
		}
		first := strings.TrimPrefix(box.waitText(t, 1), "+15550000001: ")
		second := strings.TrimPrefix(box.waitText(t, 2), "+15550000001: ")
		body := func(code string) string { return `{"userId":"` + userID + `","secret":"` + code + `"}` }
		h := sessionCookie(t, e.do("PUT", "/v1/account/sessions/phone", body(second), nil))
		if r := e.do("PATCH", "/v1/account/phone", `{"phone":"+15550000002","password":"password123"}`, h); r.status != 200 {
			t.Fatalf("phone change: %d %s", r.status, r.body)
		}
		checkError(t, e.do("PUT", "/v1/account/sessions/phone", body(first), nil), 401, "user_invalid_token", "")
		if r := e.do("PATCH", "/v1/account/phone", `{"phone":"+15550000001","password":"password123"}`, h); r.status != 200 {
			t.Fatalf("phone change back: %d %s", r.status, r.body)
		}
		checkError(t, e.do("PUT", "/v1/account/sessions/phone", body(first), nil), 401, "user_invalid_token", "")
	})
}

// TestRefusedSignInKeepsToken: a magic link refused because the account
// is blocked is not spent; it works once the account is unblocked.
func TestRefusedSignInKeepsToken(t *testing.T) {
	t.Parallel()
	e, box := newDeliveryEnv(t, nil)
	for range 2 {
		if r := e.do("POST", "/v1/account/sessions/magic-url", `{"userId":"unique()","email":"m@example.com"}`, nil); r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
	}
	_, first := linkParams(t, box.waitMail(t, 1))
	_, second := linkParams(t, box.waitMail(t, 2))
	h := sessionCookie(t, e.do("PUT", "/v1/account/sessions/magic-url", confirmBody(second), nil))
	if r := e.do("PATCH", "/v1/account/status", "", h); r.status != 200 {
		t.Fatalf("block: %d %s", r.status, r.body)
	}
	checkError(t, e.do("PUT", "/v1/account/sessions/magic-url", confirmBody(first), nil), 401, "user_blocked", "")
	e.editUser(first.Get("userId"), func(u *core.User) { u.Status = true })
	if r := e.do("PUT", "/v1/account/sessions/magic-url", confirmBody(first), nil); r.status != 200 {
		t.Fatalf("the link refused while blocked was spent: %d %s", r.status, r.body)
	}
}

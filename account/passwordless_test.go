package account_test

import (
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// TestPasswordlessHasOneDefinition: an account without a password proves
// itself by its session alone on every route, whatever contacts it has;
// an account with a password always proves it.
func TestPasswordlessHasOneDefinition(t *testing.T) {
	t.Parallel()

	t.Run("EmailAndPhoneChangeEmail", func(t *testing.T) {
		t.Parallel()
		e, box := newDeliveryEnv(t, nil)
		if r := e.do("POST", "/v1/account/sessions/magic-url", `{"userId":"unique()","email":"m@example.com"}`, nil); r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		_, q := linkParams(t, box.waitMail(t, 1))
		h := sessionCookie(t, e.do("PUT", "/v1/account/sessions/magic-url", confirmBody(q), nil))
		if r := e.do("PATCH", "/v1/account/phone", `{"phone":"+15550000001","password":"anything12"}`, h); r.status != 200 {
			t.Fatalf("phone: %d %s", r.status, r.body)
		}
		// Email and phone, no password: nothing to prove but the session.
		r := e.do("PATCH", "/v1/account/email", `{"email":"n@example.com","password":"chosen1234"}`, h)
		if r.status != 200 || r.json(t)["email"] != "n@example.com" {
			t.Fatalf("email change without a password: %d %s", r.status, r.body)
		}
		// The password given became the account's, and is now required.
		e.signIn("n@example.com", "chosen1234")
		checkError(t, e.do("PATCH", "/v1/account/email", `{"email":"o@example.com","password":"anything12"}`, h), 401, "user_invalid_credentials", "")
		checkError(t, e.do("PATCH", "/v1/account/phone", `{"phone":"+15550000002","password":"anything12"}`, h), 401, "user_invalid_credentials", "")
		checkError(t, e.do("PATCH", "/v1/account/password", `{"password":"another123"}`, h), 401, "user_invalid_credentials", "")
	})

	t.Run("EmailAndPhoneSetPassword", func(t *testing.T) {
		t.Parallel()
		e, _ := newDeliveryEnv(t, nil)
		r := e.do("POST", "/v1/account/sessions/anonymous", "", nil)
		h := sessionCookie(t, r)
		id := r.json(t)["userId"].(string)
		e.editUser(id, func(u *core.User) { u.Email, u.Phone = "ep@example.com", "+15550000003" })
		if r := e.do("PATCH", "/v1/account/password", `{"password":"first12345"}`, h); r.status != 200 {
			t.Fatalf("first password: %d %s", r.status, r.body)
		}
		e.signIn("ep@example.com", "first12345")
	})

	t.Run("ImportedPasswordIsProven", func(t *testing.T) {
		// A user written by an import has a hash but no passwordUpdate:
		// the hash, not the date, says there is a password to prove.
		t.Parallel()
		e := newEnv(t, nil)
		id := e.signUp("imp@example.com", "password123")
		c, _ := e.signIn("imp@example.com", "password123")
		e.editUser(id, func(u *core.User) { u.PasswordUpdate = time.Time{} })
		checkError(t, e.do("PATCH", "/v1/account/password", `{"password":"takeover12"}`, cookieHeader(c)), 401, "user_invalid_credentials", "")
		e.signIn("imp@example.com", "password123")
	})
}

package account_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// keySessions holds sessions.write only.
const keySessions = "sessions-only-key-0123456789abcdefghijk"

func withSessionKeys(c *core.Config) {
	withKeys(c)
	c.APIKeys = append(c.APIKeys, core.APIKey{Name: "ssr", Secret: keySessions, Scopes: []string{"sessions.write"}})
}

// today is the headers of a server on the current response format.
func today(headers map[string]string) map[string]string {
	out := map[string]string{"X-Appwrite-Response-Format": "1.5.0"}
	for k, v := range headers {
		out[k] = v
	}
	return out
}

// gateAllows reports whether the gate lets a request with headers in, as
// which user.
func gateAllows(t *testing.T, e *env, headers map[string]string) (string, bool) {
	t.Helper()
	req := httptest.NewRequest("GET", "http://localhost:8080/app", nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	p, err := e.svc.GateCheck(req)
	if err != nil || p == nil {
		return "", false
	}
	return p.User.ID, true
}

// TestSSRSessionSecret: a server whose key holds sessions.write signs a
// user in and gets the session's secret, which then works as
// X-Appwrite-Session, as the session cookie, and at the gate; browsers,
// unknown keys and keys without the scope get "" as before.
func TestSSRSessionSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withSessionKeys)
	id := e.signUp("ssr@example.com", "password123")
	body := `{"email":"ssr@example.com","password":"password123"}`
	for _, path := range []string{"/v1/account/sessions/email", "/v1/account/sessions"} {
		for _, k := range []string{keyAll, keySessions} {
			r := e.do("POST", path, body, today(key(k)))
			if r.status != 201 {
				t.Fatalf("%s: %d %s", path, r.status, r.body)
			}
			secret, _ := r.json(t)["secret"].(string)
			if secret == "" {
				t.Fatalf("%s with a sessions.write key: no secret: %s", path, r.body)
			}
			for name, h := range map[string]map[string]string{
				"X-Appwrite-Session": {"X-Appwrite-Session": secret},
				"cookie":             cookieHeader("a_session_test=" + secret),
			} {
				got := e.do("GET", "/v1/account", "", h)
				if got.status != 200 || got.json(t)["$id"] != id {
					t.Fatalf("secret as %s: %d %s", name, got.status, got.body)
				}
				if uid, ok := gateAllows(t, e, h); !ok || uid != id {
					t.Fatalf("gate refused the secret as %s", name)
				}
			}
		}
	}
	for name, h := range map[string]map[string]string{
		"browser":          today(nil),
		"unknown key":      today(key("not-a-configured-key-0123456789abcdefgh")),
		"users.write only": today(key(keyWrite)),
		"users.read only":  today(key(keyRead)),
	} {
		r := e.do("POST", "/v1/account/sessions/email", body, h)
		if r.status != 201 {
			t.Fatalf("%s: %d %s", name, r.status, r.body)
		}
		if s := r.json(t)["secret"]; s != "" {
			t.Fatalf("%s got the secret %q", name, s)
		}
	}
	// The 1.4 format has no secret field at all, as Appwrite 1.4.
	r := e.do("POST", "/v1/account/sessions/email", body, map[string]string{"X-Appwrite-Key": keySessions, "X-Appwrite-Response-Format": "1.4.0"})
	if _, ok := r.json(t)["secret"]; r.status != 201 || ok {
		t.Fatalf("1.4 format: %d %s", r.status, r.body)
	}
}

// TestSSRKeyWithSession: a key sent with a session stays 403
// user_api_key_and_session_set, scope or not, and shows no secret.
func TestSSRKeyWithSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withSessionKeys)
	e.signUp("both@example.com", "password123")
	c, _ := e.signIn("both@example.com", "password123")
	h := today(key(keySessions))
	h["Cookie"] = c
	checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"both@example.com","password":"password123"}`, h),
		403, "user_api_key_and_session_set", "")
	checkError(t, e.do("POST", "/v1/account/sessions/anonymous", "", h), 403, "user_api_key_and_session_set", "")
}

// TestSSRAnonymousAndTokenSessions: the anonymous route and POST
// /sessions/token hand a sessions.write key the secret too.
func TestSSRAnonymousAndTokenSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withSessionKeys)
	r := e.do("POST", "/v1/account/sessions/anonymous", "", today(key(keySessions)))
	secret, _ := r.json(t)["secret"].(string)
	if r.status != 201 || secret == "" {
		t.Fatalf("anonymous: %d %s", r.status, r.body)
	}
	if uid, ok := gateAllows(t, e, map[string]string{"X-Appwrite-Session": secret}); !ok || uid != r.json(t)["userId"] {
		t.Fatal("gate refused the anonymous session's secret")
	}

	id := e.signUp("token@example.com", "password123")
	tok := e.do("POST", "/v1/users/"+id+"/tokens", `{"length":12}`, today(key(keyAll)))
	if tok.status != 201 {
		t.Fatalf("users token: %d %s", tok.status, tok.body)
	}
	code := tok.json(t)["secret"].(string)
	s := e.do("POST", "/v1/account/sessions/token", `{"userId":"`+id+`","secret":"`+code+`"}`, today(key(keySessions)))
	secret, _ = s.json(t)["secret"].(string)
	if s.status != 201 || secret == "" {
		t.Fatalf("sessions/token: %d %s", s.status, s.body)
	}
	if uid, ok := gateAllows(t, e, cookieHeader("a_session_test="+secret)); !ok || uid != id {
		t.Fatal("gate refused the token session's secret")
	}
}

// TestUsersCreateSession: POST /v1/users/{userId}/sessions needs
// users.write, answers 201 with the secret, and the session ends with a
// block like any other.
func TestUsersCreateSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withSessionKeys)
	id := e.signUp("made@example.com", "password123")
	path := "/v1/users/" + id + "/sessions"
	checkError(t, e.do("POST", path, "", today(key(keyRead))), 401, "general_unauthorized_scope",
		"app.test@service.localhost (role: applications) missing scope (users.write)")
	checkError(t, e.do("POST", path, "", today(key(keySessions))), 401, "general_unauthorized_scope",
		"app.test@service.localhost (role: applications) missing scope (users.write)")
	checkError(t, e.do("POST", path, "", today(nil)), 401, "general_unauthorized_scope",
		"User (role: guests) missing scope (users.write)")
	checkError(t, e.do("POST", "/v1/users/nobody/sessions", "", today(key(keyWrite))), 404, "user_not_found", "")

	r := e.do("POST", path, "", today(key(keyWrite)))
	if r.status != http.StatusCreated {
		t.Fatalf("%d %s", r.status, r.body)
	}
	m := r.json(t)
	secret, _ := m["secret"].(string)
	if secret == "" || m["provider"] != "server" || m["userId"] != id || m["current"] != false {
		t.Fatalf("session model: %s", r.body)
	}
	h := map[string]string{"X-Appwrite-Session": secret}
	if got := e.do("GET", "/v1/account", "", h); got.status != 200 || got.json(t)["$id"] != id {
		t.Fatalf("secret as X-Appwrite-Session: %d %s", got.status, got.body)
	}
	if _, ok := gateAllows(t, e, cookieHeader("a_session_test="+secret)); !ok {
		t.Fatal("gate refused the server-made session")
	}
	if got := e.do("PATCH", "/v1/users/"+id+"/status", `{"status":false}`, key(keyWrite)); got.status != 200 {
		t.Fatalf("block: %d %s", got.status, got.body)
	}
	if _, ok := gateAllows(t, e, h); ok {
		t.Fatal("the gate let a blocked user's server-made session in")
	}
}

// TestUsersCreateToken: POST /v1/users/{userId}/tokens needs users.write,
// checks Appwrite's bounds, and makes a secret of the asked length that
// signs its user in once, until it expires, and no other user.
func TestUsersCreateToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withSessionKeys)
	id := e.signUp("tok@example.com", "password123")
	other := e.signUp("other@example.com", "password123")
	path := "/v1/users/" + id + "/tokens"
	checkError(t, e.do("POST", path, "", today(key(keySessions))), 401, "general_unauthorized_scope",
		"app.test@service.localhost (role: applications) missing scope (users.write)")
	checkError(t, e.do("POST", path, `{"length":3}`, today(key(keyWrite))), 400, "general_argument_invalid",
		"Invalid length: Value must be a valid range between 4 and 128")
	checkError(t, e.do("POST", path, `{"expire":59}`, today(key(keyWrite))), 400, "general_argument_invalid", "")
	checkError(t, e.do("POST", "/v1/users/nobody/tokens", "", today(key(keyWrite))), 404, "user_not_found", "")

	r := e.do("POST", path, "", today(key(keyWrite)))
	m := r.json(t)
	code, _ := m["secret"].(string)
	if r.status != 201 || len(code) != 6 || m["userId"] != id || m["expire"] != "2026-03-04T05:21:07.000+00:00" {
		t.Fatalf("default token: %d %s", r.status, r.body)
	}
	long := e.do("POST", path, `{"length":128,"expire":60}`, today(key(keyWrite))).json(t)
	if s, _ := long["secret"].(string); len(s) != 128 {
		t.Fatalf("length 128 gave %q", s)
	}
	spend := func(user, secret string) response {
		return e.do("POST", "/v1/account/sessions/token", `{"userId":"`+user+`","secret":"`+secret+`"}`, today(nil))
	}
	checkError(t, spend(other, code), 401, "user_invalid_token", "")
	if s := spend(id, code); s.status != 201 || s.json(t)["provider"] != "server" {
		t.Fatalf("spending the token: %d %s", s.status, s.body)
	}
	checkError(t, spend(id, code), 401, "user_invalid_token", "")
	e.clock.Advance(61 * time.Second)
	checkError(t, spend(id, long["secret"].(string)), 401, "user_invalid_token", "")
}

package account_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/core"
)

func TestJWT(t *testing.T) {
	t.Parallel()
	e := newEnv(t, limitsOn)
	id := e.signUp("jwt@example.com", "password123")
	c, _ := e.signIn("jwt@example.com", "password123")
	r := e.do("POST", "/v1/account/jwt", "", cookieHeader(c))
	if r.status != 201 || r.header.Get("X-RateLimit-Remaining") != "99" || r.header.Get("X-RateLimit-Limit") != "100" {
		t.Fatalf("create: %d %v %s", r.status, r.header, r.body)
	}
	token := r.json(t)["jwt"].(string)
	if strings.Count(token, ".") != 2 {
		t.Fatalf("not a JWT: %q", token)
	}
	jh := map[string]string{"X-Appwrite-JWT": token}
	if r := e.do("GET", "/v1/account", "", jh); r.status != 200 || r.json(t)["$id"] != id {
		t.Fatalf("with JWT: %d %s", r.status, r.body)
	}
	// A JWT caller has no current session.
	checkError(t, e.do("GET", "/v1/account/sessions/current", "", jh), 404, "user_session_not_found", "")
	checkError(t, e.do("POST", "/v1/account/jwt", "", jh), 404, "user_session_not_found", "")
	if r := e.do("GET", "/v1/account/sessions", "", jh); strings.Contains(r.body, `"current":true`) {
		t.Errorf("a JWT caller sees a current session: %s", r.body)
	}

	for name, bad := range map[string]string{
		"garbage":       "wrong-token",
		"bad signature": token[:len(token)-4] + "AAAA",
		"none alg":      "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJ1c2VySWQiOiJ4Iiwic2Vzc2lvbklkIjoieSIsImV4cCI6OTk5OTk5OTk5OX0.",
	} {
		t.Run(name, func(t *testing.T) {
			checkError(t, e.do("GET", "/v1/account", "", map[string]string{"X-Appwrite-JWT": bad}), 401, "user_jwt_invalid", "")
		})
	}
	// A JWT beats the cookie when both are sent and it is bad.
	checkError(t, e.do("GET", "/v1/account", "", map[string]string{"Cookie": c, "X-Appwrite-JWT": "x.y.z"}), 401, "user_jwt_invalid", "")

	// The gate takes the JWT as X-Appwrite-JWT or as a Bearer token.
	req, _ := http.NewRequest("GET", "http://localhost:8080/app", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	p, gerr := e.svc.GateCheck(req)
	if gerr != nil || p.User.ID != id || !p.BearerJWT {
		t.Fatalf("gate bearer: %v %+v", gerr, p)
	}
	// A foreign Bearer token is not ours: the gate leaves it alone (and,
	// without a session, refuses with the guest error, not a JWT error).
	req.Header.Set("Authorization", "Bearer some-opaque-upstream-token")
	if _, gerr := e.svc.GateCheck(req); gerr == nil || gerr.Type != core.ErrGeneralUnauthorizedScope {
		t.Fatalf("foreign bearer: %v", gerr)
	}
	req.Header.Set("Cookie", c)
	if p, gerr := e.svc.GateCheck(req); gerr != nil || p.BearerJWT {
		t.Fatalf("foreign bearer with a session: %v %+v", gerr, p)
	}

	// Deleting the session kills the JWT at once, though it was cached.
	sessions := e.do("GET", "/v1/account/sessions", "", cookieHeader(c)).json(t)["sessions"].([]any)
	sid := sessions[0].(map[string]any)["$id"].(string)
	e.do("DELETE", "/v1/account/sessions/"+sid, "", cookieHeader(c))
	checkError(t, e.do("GET", "/v1/account", "", jh), 401, "general_unauthorized_scope", "")
}

func TestJWTExpiresAndRotates(t *testing.T) {
	t.Parallel()
	old := []byte(strings.Repeat("o", 32))
	e := newEnv(t, func(c *core.Config) { c.Secret = old; c.CacheSize = -1 })
	e.signUp("rot@example.com", "password123")
	c, _ := e.signIn("rot@example.com", "password123")
	token := e.do("POST", "/v1/account/jwt", "", cookieHeader(c)).json(t)["jwt"].(string)

	// A service with a new secret and the old one as previous still
	// accepts the token; one without the old secret refuses it.
	rotated, err := account.New(t.Context(), core.Config{ProjectID: "test", Store: e.store, PublicURL: "http://localhost:8080",
		Secret: []byte(strings.Repeat("n", 32)), PreviousSecrets: [][]byte{old}, Now: e.clock.Now,
		Password: core.PasswordConfig{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://localhost:8080/app", nil)
	req.Header.Set("X-Appwrite-JWT", token)
	if _, gerr := rotated.GateCheck(req); gerr != nil {
		t.Fatalf("rotated keyring refused an old token: %v", gerr)
	}
	e.clock.Advance(15*time.Minute + 11*time.Second)
	checkError(t, e.do("GET", "/v1/account", "", map[string]string{"X-Appwrite-JWT": token}), 401, "user_jwt_invalid", "Failed to verify JWT. Invalid token: Expired")
}

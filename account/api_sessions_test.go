package account_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

func TestCreateEmailSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	id := e.signUp("s@example.com", "password123")
	r := e.do("POST", "/v1/account/sessions/email", `{"email":"S@Example.com","password":"password123"}`, nil)
	if r.status != 201 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	m := r.json(t)
	if m["userId"] != id || m["provider"] != "email" || m["providerUid"] != "s@example.com" || m["current"] != true ||
		m["countryCode"] != "--" || m["countryName"] != "Unknown" || m["providerAccessToken"] != "" {
		t.Errorf("unexpected session: %s", r.body)
	}
	expire, err := time.Parse("2006-01-02T15:04:05.000-07:00", m["expire"].(string))
	if err != nil || !expire.Equal(e.clock.Now().Add(365*24*time.Hour)) {
		t.Errorf("expire = %v (%v), want one year from now", m["expire"], err)
	}
	if strings.Contains(r.body, "secret") {
		t.Errorf("session model leaks the secret: %s", r.body)
	}

	cookies := r.header.Values("Set-Cookie")
	if len(cookies) != 2 || !strings.HasPrefix(cookies[0], "a_session_test_legacy=") || !strings.HasPrefix(cookies[1], "a_session_test=") {
		t.Fatalf("want legacy then main cookie, got %v", cookies)
	}
	for _, c := range cookies {
		for _, attr := range []string{"Path=/", "HttpOnly", "Expires="} {
			if !strings.Contains(c, attr) {
				t.Errorf("cookie %q lacks %s", c, attr)
			}
		}
		if strings.Contains(c, "Domain=") {
			t.Errorf("cookie %q must be host-only", c)
		}
	}
	if !strings.Contains(cookies[1], "SameSite=None") || !strings.Contains(cookies[1], "Secure") {
		t.Errorf("main cookie needs SameSite=None; Secure: %q", cookies[1])
	}
	if strings.Contains(cookies[0], "SameSite") || strings.Contains(cookies[0], "Secure") {
		t.Errorf("legacy cookie on http has neither SameSite nor Secure: %q", cookies[0])
	}
	// The value is URL-encoded base64 of {"id":…,"secret":…}.
	raw := strings.TrimPrefix(strings.SplitN(cookies[1], ";", 2)[0], "a_session_test=")
	unescaped, _ := url.QueryUnescape(raw)
	decoded, err := base64.StdEncoding.DecodeString(unescaped)
	var tok map[string]string
	if err != nil || json.Unmarshal(decoded, &tok) != nil || tok["id"] != id || len(tok["secret"]) != 64 {
		t.Fatalf("cookie value %q does not decode to {id, secret}: %s", raw, decoded)
	}
	var fb map[string]string
	if err := json.Unmarshal([]byte(r.header.Get("X-Fallback-Cookies")), &fb); err != nil || fb["a_session_test"] != unescaped {
		t.Errorf("X-Fallback-Cookies = %q", r.header.Get("X-Fallback-Cookies"))
	}

	// The alias route signs in too, and the fallback header alone works.
	alias := e.do("POST", "/v1/account/sessions", `{"email":"s@example.com","password":"password123"}`, nil)
	if alias.status != 201 {
		t.Fatalf("alias: %d %s", alias.status, alias.body)
	}
	got := e.do("GET", "/v1/account", "", map[string]string{"X-Fallback-Cookies": alias.header.Get("X-Fallback-Cookies")})
	if got.status != 200 {
		t.Fatalf("fallback header: %d %s", got.status, got.body)
	}
	got = e.do("GET", "/v1/account", "", map[string]string{"X-Appwrite-Session": unescaped})
	if got.status != 200 {
		t.Fatalf("X-Appwrite-Session: %d %s", got.status, got.body)
	}
}

func TestCreateEmailSessionErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.signUp("e@example.com", "password123")
	const invalid = "Invalid credentials. Please check the email and password."
	checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"e@example.com","password":"wrongpass1"}`, nil), 401, "user_invalid_credentials", invalid)
	checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"nobody@example.com","password":"password123"}`, nil), 401, "user_invalid_credentials", invalid)
	checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"","password":""}`, nil), 400, "general_argument_invalid", "Invalid email: Value must be a valid email address")
	checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"e@example.com","password":"short"}`, nil), 400, "general_argument_invalid", "Invalid password: Password must be at least 8 characters")

	// An account without a password (e.g. made by magic URL) is refused
	// like a wrong password, never with a 500.
	now := e.clock.Now()
	if err := e.store.CreateUser(context.Background(), &core.User{ID: "nopass", Email: "nopass@example.com", Status: true, CreatedAt: now, UpdatedAt: now, Registration: now}); err != nil {
		t.Fatal(err)
	}
	checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"nopass@example.com","password":"password123"}`, nil), 401, "user_invalid_credentials", invalid)

	// A blocked user with the right password learns it is blocked.
	u, _ := e.store.UserByEmail(context.Background(), "e@example.com")
	u.Status = false
	if err := e.store.UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"e@example.com","password":"password123"}`, nil), 401, "user_blocked", "")
	checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"e@example.com","password":"wrongpass1"}`, nil), 401, "user_invalid_credentials", "")
}

func TestSessionsListGetDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.signUp("l@example.com", "password123")
	first, s1 := e.signIn("l@example.com", "password123")
	second, s2 := e.signIn("l@example.com", "password123")

	r := e.do("GET", "/v1/account/sessions", "", cookieHeader(second))
	var list struct {
		Total    int              `json:"total"`
		Sessions []map[string]any `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(r.body), &list); err != nil || r.status != 200 || !strings.HasPrefix(r.body, `{"total":2,`) {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	if list.Sessions[0]["$id"] != s1["$id"] || list.Sessions[0]["current"] != false || list.Sessions[1]["current"] != true {
		t.Errorf("list order/current wrong: %s", r.body)
	}

	cur := e.do("GET", "/v1/account/sessions/current", "", cookieHeader(first)).json(t)
	if cur["$id"] != s1["$id"] || cur["current"] != true {
		t.Errorf("current: %v", cur)
	}
	byID := e.do("GET", "/v1/account/sessions/"+s2["$id"].(string), "", cookieHeader(first)).json(t)
	if byID["$id"] != s2["$id"] || byID["current"] != false {
		t.Errorf("by id: %v", byID)
	}
	checkError(t, e.do("GET", "/v1/account/sessions/97823askjdkasd80921371980", "", cookieHeader(first)), 404, "user_session_not_found", "")
	checkError(t, e.do("GET", "/v1/account/sessions/_bad", "", cookieHeader(first)), 400, "general_argument_invalid", "")

	// Another user's session is not found, neither to read nor to delete.
	e.signUp("other@example.com", "password123")
	other, _ := e.signIn("other@example.com", "password123")
	checkError(t, e.do("GET", "/v1/account/sessions/"+s1["$id"].(string), "", cookieHeader(other)), 404, "user_session_not_found", "")
	checkError(t, e.do("DELETE", "/v1/account/sessions/"+s1["$id"].(string), "", cookieHeader(other)), 404, "user_session_not_found", "")

	// Deleting the second session from the first: the first keeps working,
	// the second is refused at once although it was cached a moment ago.
	if r := e.do("GET", "/v1/account", "", cookieHeader(second)); r.status != 200 {
		t.Fatal(r.body)
	}
	r = e.do("DELETE", "/v1/account/sessions/"+s2["$id"].(string), "", cookieHeader(first))
	if r.status != 204 || r.body != "" || len(r.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("delete other: %d %q %v", r.status, r.body, r.header.Values("Set-Cookie"))
	}
	checkError(t, e.do("GET", "/v1/account", "", cookieHeader(second)), 401, "general_unauthorized_scope", "")
	if r := e.do("GET", "/v1/account", "", cookieHeader(first)); r.status != 200 {
		t.Fatal(r.body)
	}

	// Deleting the current session clears the cookies and the fallback.
	r = e.do("DELETE", "/v1/account/sessions/current", "", cookieHeader(first))
	if r.status != 204 || len(r.header.Values("Set-Cookie")) != 2 || r.header.Get("X-Fallback-Cookies") != "[]" {
		t.Fatalf("delete current: %d %v %q", r.status, r.header.Values("Set-Cookie"), r.header.Get("X-Fallback-Cookies"))
	}
	cleared := (&http.Response{Header: r.header}).Cookies()
	if cleared[1].Value != "" || !cleared[1].Expires.Before(e.clock.Now()) {
		t.Errorf("cookie not cleared: %+v", cleared[1])
	}
	checkError(t, e.do("GET", "/v1/account", "", cookieHeader(first)), 401, "general_unauthorized_scope", "")
}

func TestDeleteAllSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.signUp("all@example.com", "password123")
	a, _ := e.signIn("all@example.com", "password123")
	b, _ := e.signIn("all@example.com", "password123")
	e.do("GET", "/v1/account", "", cookieHeader(b)) // cached
	r := e.do("DELETE", "/v1/account/sessions", "", cookieHeader(a))
	if r.status != 204 || r.header.Get("X-Fallback-Cookies") != "[]" {
		t.Fatalf("delete all: %d %s", r.status, r.body)
	}
	for _, c := range []string{a, b} {
		checkError(t, e.do("GET", "/v1/account", "", cookieHeader(c)), 401, "general_unauthorized_scope", "")
	}
	e.signIn("all@example.com", "password123") // a new sign-in works afterwards
}

func TestMaxSessionsPrunesOldest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *core.Config) { c.MaxSessions = 2 })
	e.signUp("max@example.com", "password123")
	oldest, _ := e.signIn("max@example.com", "password123")
	e.do("GET", "/v1/account", "", cookieHeader(oldest)) // cached
	e.signIn("max@example.com", "password123")
	newest, s3 := e.signIn("max@example.com", "password123")
	checkError(t, e.do("GET", "/v1/account", "", cookieHeader(oldest)), 401, "general_unauthorized_scope", "")
	r := e.do("GET", "/v1/account/sessions", "", cookieHeader(newest))
	if !strings.HasPrefix(r.body, `{"total":2,`) || !strings.Contains(r.body, s3["$id"].(string)) {
		t.Fatalf("after pruning: %s", r.body)
	}
}

func TestSessionExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *core.Config) { c.SessionDuration = time.Hour })
	e.signUp("exp@example.com", "password123")
	c, _ := e.signIn("exp@example.com", "password123")
	if r := e.do("GET", "/v1/account", "", cookieHeader(c)); r.status != 200 {
		t.Fatal(r.body)
	}
	e.clock.Advance(59 * time.Minute)
	if r := e.do("GET", "/v1/account", "", cookieHeader(c)); r.status != 200 {
		t.Fatal(r.body)
	}
	e.clock.Advance(2 * time.Minute)
	checkError(t, e.do("GET", "/v1/account", "", cookieHeader(c)), 401, "general_unauthorized_scope", "")
}

func TestBlockedUserRefusedEverywhere(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *core.Config) { c.CacheSize = -1 })
	e.signUp("blk@example.com", "password123")
	c, _ := e.signIn("blk@example.com", "password123")
	u, _ := e.store.UserByEmail(context.Background(), "blk@example.com")
	u.Status = false
	e.store.UpdateUser(context.Background(), u)
	checkError(t, e.do("GET", "/v1/account", "", cookieHeader(c)), 401, "user_blocked", "")
	req, _ := http.NewRequest("GET", "http://localhost:8080/app", nil)
	req.Header.Set("Cookie", c)
	if _, err := e.svc.GateCheck(req); err == nil || err.Type != core.ErrUserBlocked {
		t.Fatalf("gate: %v", err)
	}
}

func TestPipeline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	checkError(t, e.do("GET", "/v1/account/nope", "", nil), 404, "general_route_not_found", "Not Found")
	checkError(t, e.do("PUT", "/v1/account", "{}", nil), 404, "general_route_not_found", "")
	checkError(t, e.do("GET", "/v1/account", "", map[string]string{"X-Appwrite-Project": "other"}), 404, "project_not_found", "")
	checkError(t, e.do("GET", "/v1/account?project=other", "", nil), 404, "project_not_found", "")
	checkError(t, e.do("GET", "/v1/account", "", map[string]string{"X-Appwrite-Project": "test"}), 401, "general_unauthorized_scope", "")

	body := `{"userId":"unique()","email":"o@example.com","password":"password123"}`
	checkError(t, e.do("POST", "/v1/account", body, map[string]string{"Origin": "http://evil.test"}), 403, "general_unknown_origin",
		"Invalid Origin. Register your new client (evil.test) as a new Web platform on your project console dashboard")
	checkError(t, e.do("POST", "/v1/account", body, map[string]string{"Referer": "https://evil.test/page"}), 403, "general_unknown_origin", "")
	checkError(t, e.do("POST", "/v1/account", body, map[string]string{"Origin": "ftp://evil.test"}), 403, "general_unknown_origin", "Unsupported platform")
	if r := e.do("POST", "/v1/account", body, map[string]string{"Origin": "https://app.example.com"}); r.status != 201 {
		t.Fatalf("wildcard platform: %d %s", r.status, r.body)
	}

	r := e.do("OPTIONS", "/v1/account/sessions/email", "", map[string]string{"Origin": "http://localhost:3000"})
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" ||
		r.header.Get("Access-Control-Allow-Credentials") != "true" || r.header.Get("Access-Control-Expose-Headers") != "X-Fallback-Cookies" ||
		!strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "X-Appwrite-Project") {
		t.Fatalf("preflight: %d %v", r.status, r.header)
	}
	r = e.do("OPTIONS", "/v1/account", "", map[string]string{"Origin": "http://evil.test"})
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS must not allow an unknown origin")
	}
	// Same registrable domain as the public URL: no fallback header.
	e2 := newEnv(t, func(c *core.Config) { c.PublicURL = "https://api.example.com" })
	e2.signUp("fb@example.com", "password123")
	r = e2.do("POST", "/v1/account/sessions/email", `{"email":"fb@example.com","password":"password123"}`, map[string]string{"Origin": "https://app.example.com"})
	if r.status != 201 || r.header.Get("X-Fallback-Cookies") != "" {
		t.Errorf("first-party origin got a fallback header: %d %q", r.status, r.header.Get("X-Fallback-Cookies"))
	}
}

func TestProjectSecretPersists(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	got, err := e.store.SettingOrInit(context.Background(), "project_secret", []byte("ignored"))
	if err != nil || len(got) != 32 || string(got) == "ignored" {
		t.Fatalf("project secret not generated and persisted: %q %v", got, err)
	}
}

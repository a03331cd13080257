package account_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/oauth"
	"github.com/accountgate/accountgate/account/verify"
)

// TestCredentialKindsDoNotShareTheCache: a cached session secret is no
// JWT, and a cached JWT is no session secret, in either direction.
func TestCredentialKindsDoNotShareTheCache(t *testing.T) {
	e := newEnv(t, nil)
	id := e.signUp("kinds@example.com", "password123")
	cookie, _ := e.signIn("kinds@example.com", "password123")
	secret := sessionSecret(t, cookie)

	// The cookie puts the session secret in the cache...
	if r := e.do("GET", "/v1/account", "", cookieHeader(cookie)); r.status != 200 {
		t.Fatalf("cookie: %d %s", r.status, r.body)
	}
	// ...where it must not pass for a JWT.
	checkError(t, e.do("GET", "/v1/account", "", map[string]string{"X-Appwrite-JWT": secret}), 401, "user_jwt_invalid", "")

	// A JWT, once used (and cached), must not pass for a session secret.
	jwt := e.do("POST", "/v1/account/jwt", "", cookieHeader(cookie)).json(t)["jwt"].(string)
	if r := e.do("GET", "/v1/account", "", map[string]string{"X-Appwrite-JWT": jwt}); r.status != 200 {
		t.Fatalf("JWT: %d %s", r.status, r.body)
	}
	forged := forgedSessionCookie(id, jwt)
	checkError(t, e.do("GET", "/v1/account", "", cookieHeader(forged)), 401, "general_unauthorized_scope", "")
	checkError(t, e.do("GET", "/v1/account", "", map[string]string{"X-Appwrite-Session": strings.TrimPrefix(forged, "a_session_test=")}),
		401, "general_unauthorized_scope", "")
	// The genuine credentials still work from the cache.
	if r := e.do("GET", "/v1/account", "", cookieHeader(cookie)); r.status != 200 {
		t.Fatalf("cookie again: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/v1/account", "", map[string]string{"X-Appwrite-JWT": jwt}); r.status != 200 {
		t.Fatalf("JWT again: %d %s", r.status, r.body)
	}
}

// sessionSecret reads the secret out of a session cookie header.
func sessionSecret(t *testing.T, cookie string) string {
	t.Helper()
	v, err := url.QueryUnescape(strings.TrimPrefix(cookie, "a_session_test="))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Secret string }
	if err := json.Unmarshal(raw, &tok); err != nil || tok.Secret == "" {
		t.Fatalf("cookie %q: %v", raw, err)
	}
	return tok.Secret
}

// sessionCookie builds a session cookie header carrying secret for id.
func forgedSessionCookie(id, secret string) string {
	b, _ := json.Marshal(map[string]string{"id": id, "secret": secret})
	return "a_session_test=" + url.QueryEscape(base64.StdEncoding.EncodeToString(b))
}

// TestNamesRefuseControlCharacters: a name becomes a header value, so
// the name param refuses control characters with the contract's message.
func TestNamesRefuseControlCharacters(t *testing.T) {
	e := newEnv(t, nil)
	e.signUp("names@example.com", "password123")
	cookie, _ := e.signIn("names@example.com", "password123")
	const msg = "Invalid name: Value must be a valid string and at least 1 chars and no longer than 128 chars"
	for i, bad := range []string{"a\x00b", "a\rb", "a\nb", "Ann\r\nX-Account-Id: admin", "a\vb", "a\x7fb", "a\tb", "a\u0085b"} {
		name, _ := json.Marshal(bad)
		checkError(t, e.do("POST", "/v1/account", `{"userId":"unique()","email":"n`+strconv.Itoa(i)+`@example.com","password":"password123","name":`+string(name)+`}`, nil),
			400, "general_argument_invalid", msg)
		checkError(t, e.do("PATCH", "/v1/account/name", `{"name":`+string(name)+`}`, cookieHeader(cookie)), 400, "general_argument_invalid", msg)
	}
	// Names with letters of any script, spaces and punctuation are fine.
	for _, good := range []string{"Ann Example", "Zoë d’Arc", "山田 太郎", "O'Brien-Smith"} {
		name, _ := json.Marshal(good)
		if r := e.do("PATCH", "/v1/account/name", `{"name":`+string(name)+`}`, cookieHeader(cookie)); r.status != 200 || r.json(t)["name"] != good {
			t.Fatalf("name %q: %d %s", good, r.status, r.body)
		}
	}
}

// TestIdentityFromStoredBadName: a name that reached the store some other
// way still gives valid header values at the gate, with the control
// characters replaced by spaces.
func TestIdentityFromStoredBadName(t *testing.T) {
	e := newEnv(t, nil)
	id := e.signUp("stored@example.com", "password123")
	cookie, _ := e.signIn("stored@example.com", "password123")
	ctx := context.Background()
	u, err := e.store.UserByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	u.Name = "Ann\r\nX-Account-Id: admin\x00\v\x7f"
	u.Phone = "+1\n555"
	if err := e.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "http://localhost:8080/app", nil)
	req.Header.Set("Cookie", cookie)
	p, aerr := e.svc.GateCheck(req)
	if aerr != nil {
		t.Fatal(aerr)
	}
	hdr := http.Header{}
	verify.DefaultHeaderNames().Set(hdr, p.Identity())
	for k, vs := range hdr {
		for _, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v) {
				t.Errorf("%s: %q is not a valid header value", k, v)
			}
		}
	}
	if got := hdr.Get("X-Account-Name"); got != "Ann  X-Account-Id: admin   " {
		t.Errorf("X-Account-Name = %q", got)
	}
	if got := hdr.Get("X-Account-Phone"); got != "+1 555" {
		t.Errorf("X-Account-Phone = %q", got)
	}
	if hdr.Get("X-Account-Id") != id {
		t.Errorf("X-Account-Id = %q", hdr.Get("X-Account-Id"))
	}
}

// TestOAuth2NameWithControlCharacters: a provider's display name is
// cleaned, not refused: the sign-in works and the name is header-safe.
func TestOAuth2NameWithControlCharacters(t *testing.T) {
	e, p := newOAuthEnv(t)
	p.identities["ctl"] = oauth.Identity{ID: "gh-ctl", Email: "ctl@example.com", EmailVerified: true, Name: "Eve\r\nX-Account-Id: admin\x00\u0085"}
	f, _ := e.startOAuth(t, oauthQuery)
	_, cookie, errType := outcome(t, f.callback("ctl"))
	if cookie == "" || errType != "" {
		t.Fatalf("sign-in refused: %q", errType)
	}
	if got := e.do("GET", "/v1/account", "", cookieHeader(cookie)).json(t)["name"]; got != "Eve  X-Account-Id: admin" {
		t.Fatalf("name = %q", got)
	}
}

// FuzzIdentityIsHeaderSafe: whatever the store holds, every identity
// value is a valid header value.
func FuzzIdentityIsHeaderSafe(f *testing.F) {
	for _, s := range []string{"Ann", "a\r\nb", "\x00", "\x7f\t\v", "Zoë\u0085", "\xff\xfe"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, name, email string) {
		p := &verify.Principal{User: &core.User{ID: "u1", Name: name, Email: email, Phone: name, Labels: []string{name, email}},
			Session: &verify.SessionRef{ID: email, Provider: name}}
		id := p.Identity()
		for _, v := range []string{id.ID, id.Name, id.Email, id.Phone, id.SessionID, id.SessionProvider, id.Labels} {
			if !httpguts.ValidHeaderFieldValue(v) {
				t.Fatalf("%q is not a valid header value", v)
			}
		}
		if !strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) && id.Name != name {
			t.Fatalf("clean name %q changed to %q", name, id.Name)
		}
	})
}

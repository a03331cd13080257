package caddymodule

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// authFixture is an auth endpoint on the gate fixture's project.
func authFixture(t *testing.T, g Gate) (*gateFixture, *AuthEndpoint) {
	f := newGateFixture(t, g)
	return f, &AuthEndpoint{Gate: *f.gate}
}

func (a *AuthEndpoint) ask(t *testing.T, headers map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", "http://auth.internal/_auth", nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	next := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error {
		t.Fatal("the auth endpoint called the next handler")
		return nil
	})
	if err := a.ServeHTTP(rec, req, next); err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestAuthEndpoint: 200 with the identity for a valid session, 401 without
// one, 403 for a cross-site cookie write the proxy describes, and the
// gate's policy applied.
func TestAuthEndpoint(t *testing.T) {
	f, a := authFixture(t, Gate{})
	ok := a.ask(t, map[string]string{"Cookie": f.cookie, "X-Forwarded-Method": "GET", "X-Forwarded-Host": "localhost"})
	if ok.Code != 200 || ok.Header().Get("X-Account-Id") != f.userID || ok.Header().Get("X-Account-Email") != "gate@example.com" || ok.Body.Len() != 0 {
		t.Fatalf("valid session: %d %v %q", ok.Code, ok.Header(), ok.Body)
	}
	if ok.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("an auth answer must not be cached: %q", ok.Header().Get("Cache-Control"))
	}
	none := a.ask(t, map[string]string{"X-Account-Id": "admin"})
	if none.Code != 401 || !strings.Contains(none.Body.String(), `"type":"general_unauthorized_scope"`) || none.Header().Get("X-Account-Id") != "" {
		t.Fatalf("no session: %d %v %s", none.Code, none.Header(), none.Body)
	}
	crossSite := a.ask(t, map[string]string{"Cookie": f.cookie, "X-Forwarded-Method": "POST", "X-Forwarded-Host": "localhost", "Origin": "https://evil.example"})
	if crossSite.Code != 403 || crossSite.Header().Get("X-Account-Id") != "" {
		t.Fatalf("cross-site POST: %d %v %s", crossSite.Code, crossSite.Header(), crossSite.Body)
	}
	sameSite := a.ask(t, map[string]string{"Cookie": f.cookie, "X-Forwarded-Method": "POST", "X-Forwarded-Host": "localhost", "Origin": "http://localhost"})
	if sameSite.Code != 200 {
		t.Fatalf("same-site POST: %d %s", sameSite.Code, sameSite.Body)
	}

	f2, a2 := authFixture(t, Gate{Policy: Policy{AllowEmailDomains: []string{"example.org"}}})
	f2.setEmail(t, "gate@example.com", true)
	if rec := a2.ask(t, map[string]string{"Cookie": f2.cookie}); rec.Code != 403 || !strings.Contains(rec.Body.String(), "general_resource_blocked") {
		t.Fatalf("policy: %d %s", rec.Code, rec.Body)
	}
}

// TestAuthProvider: Caddy's authentication handler gets the user and the
// identity fields from a session, and nothing without one.
func TestAuthProvider(t *testing.T) {
	f := newGateFixture(t, Gate{})
	p := &AuthProvider{Project: "p", slot: f.gate.slot}
	req := httptest.NewRequest("GET", "http://localhost/app", nil)
	req.Header.Set("Cookie", f.cookie)
	user, ok, err := p.Authenticate(httptest.NewRecorder(), req)
	if err != nil || !ok || user.ID != f.userID || user.Metadata["email"] != "gate@example.com" || user.Metadata["email_verified"] != "false" || user.Metadata["session_provider"] != "email" || user.Metadata["session_id"] == "" {
		t.Fatalf("with a session: %+v %v %v", user, ok, err)
	}
	user, ok, err = p.Authenticate(httptest.NewRecorder(), httptest.NewRequest("GET", "http://localhost/app", nil))
	if err != nil || ok || user.ID != "" {
		t.Fatalf("without a session: %+v %v %v", user, ok, err)
	}
}

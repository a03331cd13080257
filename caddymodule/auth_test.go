package caddymodule

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/verify"
	"github.com/accountgate/accountgate/store/sqlite"
)

// gateFixture is a gate in front of a recording upstream, with one user
// signed in.
type gateFixture struct {
	gate     *Gate
	api      http.Handler
	cookie   string
	userID   string
	upstream *http.Request
	store    *sqlite.Store
}

func newGateFixture(t *testing.T, g Gate) *gateFixture {
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/gate.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := account.New(context.Background(), core.Config{ProjectID: "p", Store: st, PublicURL: "http://localhost",
		Platforms: []string{"localhost"}, Password: core.PasswordConfig{Memory: 64, Time: 1, Threads: 1},
		RateLimits: core.RateLimitConfig{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	g.Project, g.slot, g.headers = "p", newProjectSlot("p"), g.Headers.WithDefaults()
	g.slot.set(svc)
	f := &gateFixture{gate: &g, api: svc.APIHandler(), store: st}
	call := func(method, path, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(method, "http://localhost"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		f.api.ServeHTTP(rec, req)
		return rec
	}
	rec := call("POST", "/v1/account", `{"userId":"u1","email":"gate@example.com","password":"password123","name":"Gate"}`)
	if rec.Code != 201 {
		t.Fatal(rec.Body.String())
	}
	rec = call("POST", "/v1/account/sessions/email", `{"email":"gate@example.com","password":"password123"}`)
	for _, c := range rec.Result().Cookies() {
		if c.Name == "a_session_p" {
			f.cookie = "a_session_p=" + c.Value
		}
	}
	f.userID = "u1"
	return f
}

// serve sends req through the gate; the upstream records what it got.
func (f *gateFixture) serve(req *http.Request) *httptest.ResponseRecorder {
	f.upstream = nil
	repl := caddy.NewReplacer()
	req = req.WithContext(context.WithValue(req.Context(), caddy.ReplacerCtxKey, repl))
	rec := httptest.NewRecorder()
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		f.upstream = r
		if got, _ := repl.GetString("http.auth.user.id"); got != r.Header.Get("X-Account-Id") && got != r.Header.Get("X-User-Id") {
			return caddyhttp.Error(500, nil)
		}
		return nil
	})
	if err := f.gate.ServeHTTP(rec, req, next); err != nil {
		rec.Code = 599
	}
	return rec
}

func TestGateForgedIdentityHeaders(t *testing.T) {
	f := newGateFixture(t, Gate{})
	for _, withSession := range []bool{false, true} {
		req := httptest.NewRequest("GET", "http://localhost/app", nil)
		req.Header["X-Account-Id"] = []string{"admin", "root"}
		req.Header["X_account_id"] = []string{"admin"}
		req.Header["X-ACCOUNT-EMAIL"] = []string{"admin@example.com"}
		req.Header["X_Account_Email_Verified"] = []string{"true"}
		if withSession {
			req.Header.Set("Cookie", f.cookie+"; theme=dark")
		}
		rec := f.serve(req)
		if !withSession {
			if rec.Code != 401 || f.upstream != nil {
				t.Fatalf("no session: %d, upstream reached: %v", rec.Code, f.upstream != nil)
			}
			var body map[string]any
			json.Unmarshal(rec.Body.Bytes(), &body)
			if body["type"] != "general_unauthorized_scope" {
				t.Fatalf("401 body: %s", rec.Body.String())
			}
			// Stripped even on refusal: later handlers (e.g. handle_errors)
			// never see the forged values.
			for k := range req.Header {
				if strings.Contains(strings.ToLower(strings.ReplaceAll(k, "_", "-")), "x-account") {
					t.Errorf("forged %s survived a refusal", k)
				}
			}
			continue
		}
		if rec.Code != 200 || f.upstream == nil {
			t.Fatalf("with session: %d", rec.Code)
		}
		h := f.upstream.Header
		if v := h.Values("X-Account-Id"); len(v) != 1 || v[0] != f.userID {
			t.Errorf("X-Account-Id = %v", v)
		}
		if h.Get("X-Account-Email") != "gate@example.com" || h.Get("X-Account-Email-Verified") != "false" || h.Get("X-Account-Session-Provider") != "email" {
			t.Errorf("identity headers: %v", h)
		}
		for k, vals := range h {
			for _, v := range vals {
				if v == "admin" || v == "root" || v == "admin@example.com" || (strings.Contains(k, "_") && strings.Contains(strings.ToLower(k), "account")) {
					t.Errorf("forged header %s: %s reached the upstream", k, v)
				}
			}
		}
		if h.Get("Cookie") != "theme=dark" {
			t.Errorf("Cookie upstream = %q, want only theme=dark", h.Get("Cookie"))
		}
	}
}

func TestGateRedirectsBrowsers(t *testing.T) {
	f := newGateFixture(t, Gate{OnFailRedirect: "/login"})
	req := httptest.NewRequest("GET", "http://localhost//evil.example/page?x=1", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	rec := f.serve(req)
	loc := rec.Header().Get("Location")
	if rec.Code != 302 || !strings.HasPrefix(loc, "/login?return=") || strings.Contains(loc, "return=%2F%2Fevil") {
		t.Fatalf("redirect: %d %q", rec.Code, loc)
	}
	api := httptest.NewRequest("GET", "http://localhost/page", nil)
	api.Header.Set("Accept", "application/json")
	if rec := f.serve(api); rec.Code != 401 {
		t.Fatalf("API client: %d", rec.Code)
	}
}

func TestGateRenamedHeadersAndRequirements(t *testing.T) {
	f := newGateFixture(t, Gate{Headers: verify.HeaderNames{ID: "X-User-Id"}, Require: []string{"verified_email"}})
	req := httptest.NewRequest("GET", "http://localhost/app", nil)
	req.Header.Set("Cookie", f.cookie)
	req.Header.Set("X-Account-Id", "forged")
	rec := f.serve(req)
	if rec.Code != 401 || !strings.Contains(rec.Body.String(), "not verified") {
		t.Fatalf("unverified email: %d %s", rec.Code, rec.Body.String())
	}
	f.gate.Require = nil
	req.Header.Set("X-Account-Id", "forged")
	if rec := f.serve(req); rec.Code != 200 || f.upstream.Header.Get("X-User-Id") != f.userID || f.upstream.Header.Get("X-Account-Id") != "" {
		t.Fatalf("renamed header: %d %v", rec.Code, f.upstream.Header)
	}
}

package caddymodule

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// setEmail sets the fixture user's email and its verification straight
// in the store, before the gate has cached the user.
func (f *gateFixture) setEmail(t *testing.T, email string, verified bool) {
	t.Helper()
	ctx := context.Background()
	u, err := f.store.UserByID(ctx, f.userID)
	if err != nil {
		t.Fatal(err)
	}
	u.Email, u.EmailVerification = email, verified
	if err := f.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
}

// get sends a GET through the gate with cookie, as an API client or, with
// html, as a browser.
func (f *gateFixture) get(cookie string, html bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "http://localhost/app", nil)
	req.Header.Set("Cookie", cookie)
	if html {
		req.Header.Set("Accept", "text/html")
	}
	return f.serve(req)
}

func wantBlocked(t *testing.T, rec *httptest.ResponseRecorder, message string) {
	t.Helper()
	body := rec.Body.String()
	if rec.Code != 403 || !strings.Contains(body, `"type":"general_resource_blocked"`) || !strings.Contains(body, message) {
		t.Fatalf("want 403 general_resource_blocked %q, got %d %s", message, rec.Code, body)
	}
}

func TestPolicyDenyAnonymous(t *testing.T) {
	f := newGateFixture(t, Gate{Policy: Policy{DenyAnonymous: true}})
	rec := httptest.NewRecorder()
	f.api.ServeHTTP(rec, httptest.NewRequest("POST", "http://localhost/v1/account/sessions/anonymous", nil))
	var anon string
	for _, c := range rec.Result().Cookies() {
		if c.Name == "a_session_p" {
			anon = "a_session_p=" + c.Value
		}
	}
	if anon == "" {
		t.Fatalf("no anonymous session: %d %s", rec.Code, rec.Body)
	}
	wantBlocked(t, f.get(anon, false), msgAnonymous)
	if f.upstream != nil {
		t.Fatal("a refused request reached the upstream")
	}
	// A browser gets a page that says why, not JSON.
	page := f.get(anon, true)
	if page.Code != 403 || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") || !strings.Contains(page.Body.String(), "anonymous accounts") {
		t.Fatalf("browser: %d %s %s", page.Code, page.Header().Get("Content-Type"), page.Body)
	}
	if rec := f.get(f.cookie, false); rec.Code != 200 {
		t.Fatalf("an email account was refused: %d %s", rec.Code, rec.Body)
	}
}

func TestPolicyAllowEmailDomains(t *testing.T) {
	for _, tc := range []struct {
		name     string
		email    string
		verified bool
		want     string // "" for allowed
	}{
		{"unverified address at the domain", "ann@example.com", false, msgVerifyEmail},
		{"verified address at the domain", "ann@example.com", true, ""},
		{"letter case of the domain", "ann@Example.COM", true, ""},
		{"verified address elsewhere", "ann@example.org", true, msgDomain},
		{"a subdomain is another domain", "ann@mail.example.com", true, msgDomain},
		{"a look-alike suffix", "ann@evilexample.com", true, msgDomain},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newGateFixture(t, Gate{Policy: Policy{AllowEmailDomains: []string{"example.com"}}})
			f.setEmail(t, tc.email, tc.verified)
			rec := f.get(f.cookie, false)
			if tc.want == "" {
				if rec.Code != 200 {
					t.Fatalf("refused: %d %s", rec.Code, rec.Body)
				}
				return
			}
			wantBlocked(t, rec, tc.want)
		})
	}
}

func TestPolicyAllowUsers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		allow    []string
		verified bool
		want     bool
	}{
		{"by id", []string{"someone", "u1"}, false, true},
		{"by verified email, any letter case", []string{"Gate@Example.com"}, true, true},
		{"by unverified email", []string{"gate@example.com"}, false, false},
		{"not listed", []string{"u2", "other@example.com"}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newGateFixture(t, Gate{Policy: Policy{AllowUsers: tc.allow}})
			f.setEmail(t, "gate@example.com", tc.verified)
			rec := f.get(f.cookie, false)
			if tc.want {
				if rec.Code != 200 {
					t.Fatalf("refused: %d %s", rec.Code, rec.Body)
				}
				return
			}
			wantBlocked(t, rec, msgNotAllowed)
			// The refusal names no other account.
			for _, other := range tc.allow {
				if strings.Contains(rec.Body.String(), other) {
					t.Fatalf("the refusal leaks %q: %s", other, rec.Body)
				}
			}
		})
	}
}

func TestPolicyCaddyfile(t *testing.T) {
	g := new(Gate)
	in := "account_gate p {\n deny anonymous\n allow_email_domains example.com example.org\n allow_users u1 ann@example.com\n}"
	if err := g.UnmarshalCaddyfile(caddyfile.NewTestDispenser(in)); err != nil {
		t.Fatal(err)
	}
	want := Policy{DenyAnonymous: true, AllowEmailDomains: []string{"example.com", "example.org"}, AllowUsers: []string{"u1", "ann@example.com"}}
	if !g.DenyAnonymous || strings.Join(g.AllowEmailDomains, " ") != "example.com example.org" || strings.Join(g.AllowUsers, " ") != "u1 ann@example.com" {
		t.Fatalf("parsed %+v, want %+v", g.Policy, want)
	}
	for in, msg := range map[string]string{
		"account_gate p {\n deny admins\n}":         "usage: deny anonymous",
		"account_gate p {\n allow_email_domains\n}": "wrong argument count",
		"account_gate p {\n allow_users\n}":         "wrong argument count",
	} {
		err := new(Gate).UnmarshalCaddyfile(caddyfile.NewTestDispenser(in))
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v, want %q", in, err, msg)
		}
	}
	bad := Gate{Project: "p", Policy: Policy{AllowEmailDomains: []string{"@example.com"}}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "a domain only") {
		t.Errorf("validate: %v", err)
	}
}

// TestPassPreflight: with pass_preflight a CORS preflight reaches the
// upstream without a session and without identity (a forged one is
// stripped); without it, or for a plain OPTIONS, the gate answers 401.
func TestPassPreflight(t *testing.T) {
	preflight := func() *http.Request {
		req := httptest.NewRequest("OPTIONS", "http://localhost/api/items", nil)
		req.Header.Set("Origin", "https://other.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("X-Account-Id", "forged")
		return req
	}
	f := newGateFixture(t, Gate{})
	if rec := f.serve(preflight()); rec.Code != 401 || f.upstream != nil {
		t.Fatalf("without pass_preflight: %d", rec.Code)
	}
	f.gate.PassPreflight = true
	if rec := f.serve(preflight()); rec.Code != 200 || f.upstream == nil || f.upstream.Header.Get("X-Account-Id") != "" {
		t.Fatalf("pass_preflight: %d, upstream %v", rec.Code, f.upstream)
	}
	plain := httptest.NewRequest("OPTIONS", "http://localhost/api/items", nil)
	if rec := f.serve(plain); rec.Code != 401 || f.upstream != nil {
		t.Fatalf("plain OPTIONS: %d", rec.Code)
	}
	g := new(Gate)
	if err := g.UnmarshalCaddyfile(caddyfile.NewTestDispenser("account_gate p {\n pass_preflight\n}")); err != nil || !g.PassPreflight {
		t.Fatalf("caddyfile: %v %+v", err, g)
	}
}

package caddymodule

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
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

// TestPolicyAllowLabels: allow_labels admits an account carrying one of
// the labels, refuses the others (JSON for API clients, a page for
// browsers), and a label change through the service is seen by the very
// next request. The labels reach the upstream and the placeholder.
func TestPolicyAllowLabels(t *testing.T) {
	f := newGateFixture(t, Gate{Policy: Policy{AllowLabels: []string{"staff", "admin"}}})
	svc := f.gate.slot.svc.Load()
	ctx := context.Background()
	wantBlocked(t, f.get(f.cookie, false), msgNotAllowed)
	if f.upstream != nil {
		t.Fatal("a refused request reached the upstream")
	}
	page := f.get(f.cookie, true)
	if page.Code != 403 || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("browser: %d %s", page.Code, page.Header().Get("Content-Type"))
	}
	// Letter case counts, as in Appwrite's label roles.
	if _, err := svc.Users().SetUserLabels(ctx, f.userID, []string{"beta", "Admin"}); err != nil {
		t.Fatal(err)
	}
	wantBlocked(t, f.get(f.cookie, false), msgNotAllowed)
	if _, err := svc.Users().SetUserLabels(ctx, f.userID, []string{"beta", "admin"}); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "http://localhost/app", nil)
	req.Header.Set("Cookie", f.cookie)
	req.Header.Set("X-Account-Labels", "forged")
	repl := caddy.NewReplacer()
	req = req.WithContext(context.WithValue(req.Context(), caddy.ReplacerCtxKey, repl))
	var placeholder string
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		f.upstream = r
		placeholder, _ = repl.GetString("http.auth.user.labels")
		return nil
	})
	rec := httptest.NewRecorder()
	if err := f.gate.ServeHTTP(rec, req, next); err != nil || f.upstream == nil {
		t.Fatalf("labelled account refused: %v %d %s", err, rec.Code, rec.Body)
	}
	if got := f.upstream.Header.Values("X-Account-Labels"); len(got) != 1 || got[0] != "beta,admin" || placeholder != "beta,admin" {
		t.Fatalf("X-Account-Labels = %q, placeholder %q; want beta,admin", got, placeholder)
	}
	// Cleared: refused again at once.
	if _, err := svc.Users().SetUserLabels(ctx, f.userID, nil); err != nil {
		t.Fatal(err)
	}
	wantBlocked(t, f.get(f.cookie, false), msgNotAllowed)
}

func TestPolicyAllowLabelsCaddyfile(t *testing.T) {
	g := new(Gate)
	if err := g.UnmarshalCaddyfile(caddyfile.NewTestDispenser("account_gate p {\n allow_labels staff admin\n allow_labels beta\n}")); err != nil {
		t.Fatal(err)
	}
	if strings.Join(g.AllowLabels, " ") != "staff admin beta" {
		t.Fatalf("allow_labels = %q", g.AllowLabels)
	}
	if err := new(Gate).UnmarshalCaddyfile(caddyfile.NewTestDispenser("account_gate p {\n allow_labels\n}")); err == nil || !strings.Contains(err.Error(), "wrong argument count") {
		t.Fatalf("empty allow_labels: %v", err)
	}
	for _, bad := range []string{"two words", "dash-ed", strings.Repeat("a", 37), ""} {
		g := Gate{Project: "p", Policy: Policy{AllowLabels: []string{"ok", bad}}}
		if err := g.Validate(); err == nil || !strings.Contains(err.Error(), "allow_labels") {
			t.Errorf("validate %q: %v", bad, err)
		}
	}
}

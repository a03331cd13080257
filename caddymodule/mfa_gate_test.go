package caddymodule

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/verify"
)

// TestGateRequireMFA: `require mfa` refuses an account without MFA (403,
// a page for browsers), a half-signed-in session like any gate (401),
// and lets the session through once it proved its second factor.
func TestGateRequireMFA(t *testing.T) {
	f := newGateFixture(t, Gate{Require: []string{"mfa"}})
	api := func(method, path, body string) (int, map[string]any) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(method, "http://localhost"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Cookie", f.cookie)
		req.Header.Set("X-Appwrite-Response-Format", "1.6.0")
		f.api.ServeHTTP(rec, req)
		var m map[string]any
		json.Unmarshal(rec.Body.Bytes(), &m)
		return rec.Code, m
	}
	get := func(accept string) (int, string) {
		req := httptest.NewRequest("GET", "http://localhost/app", nil)
		req.Header.Set("Cookie", f.cookie)
		req.Header.Set("Accept", accept)
		rec := f.serve(req)
		return rec.Code, rec.Body.String()
	}
	if code, body := get("application/json"); code != 403 || !strings.Contains(body, `"user_mfa_required"`) {
		t.Fatalf("without MFA: %d %s", code, body)
	}
	if code, body := get("text/html"); code != 403 || !strings.Contains(body, "multi-factor authentication") || !strings.Contains(body, "<") {
		t.Fatalf("without MFA, browser: %d %s", code, body)
	}
	_, m := api("POST", "/v1/account/mfa/recovery-codes", "")
	codes := m["recoveryCodes"].([]any)
	if code, m := api("PATCH", "/v1/account/mfa", `{"mfa":true}`); code != 200 {
		t.Fatalf("enable: %d %v", code, m)
	}
	if code, body := get("application/json"); code != 401 || !strings.Contains(body, `"user_more_factors_required"`) {
		t.Fatalf("half signed in: %d %s", code, body)
	}
	_, m = api("POST", "/v1/account/mfa/challenge", `{"factor":"recoverycode"}`)
	if code, m := api("PUT", "/v1/account/mfa/challenge", `{"challengeId":"`+m["$id"].(string)+`","otp":"`+codes[0].(string)+`"}`); code != 200 {
		t.Fatalf("challenge: %d %v", code, m)
	}
	if code, body := get("application/json"); code != 200 {
		t.Fatalf("with MFA: %d %s", code, body)
	}
}

func TestGateRequireMFACaddyfile(t *testing.T) {
	var g Gate
	if err := g.UnmarshalCaddyfile(caddyfile.NewTestDispenser("account_gate p {\n require mfa verified_email\n}")); err != nil {
		t.Fatal(err)
	}
	if len(g.Require) != 2 || g.Require[0] != "mfa" || g.Validate() != nil {
		t.Fatalf("require = %v, %v", g.Require, g.Validate())
	}
	if err := g.UnmarshalCaddyfile(caddyfile.NewTestDispenser("account_gate p {\n require totp\n}")); err == nil {
		t.Fatal("unknown requirement accepted")
	}
}

func TestGateRefusalReasonMFA(t *testing.T) {
	g := &Gate{Require: []string{"mfa"}}
	p := &verify.Principal{User: &core.User{ID: "u1", Status: true}}
	if r := g.refusalReason(nil, core.NewError(core.ErrUserMoreFactorsRequired)); r != core.ReasonMoreFactors {
		t.Errorf("half signed in: %q", r)
	}
	if r := g.refusalReason(p, core.NewError(core.ErrUserMFARequired)); r != core.ReasonMFARequired {
		t.Errorf("require mfa: %q", r)
	}
}

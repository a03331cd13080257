package account_test

import (
	"net/http/httptest"
	"testing"

	"github.com/accountgate/accountgate/account/core"
)

// TestMFAAcrossInstances: a session cached on B before MFA was turned on
// on A is half signed in on B at once (API and gate), and a challenge
// completed on A lets it through on B at once.
func TestMFAAcrossInstances(t *testing.T) {
	t.Parallel()
	a, b2 := twoInstances(t)
	gateOnB := func(cookie string) *core.Error {
		req := httptest.NewRequest("GET", "http://localhost:8080/app", nil)
		req.Header.Set("Cookie", cookie)
		_, e := b2.svc.GateCheck(req)
		return e
	}

	h := mfaUser(a, "instances@example.com")
	if r := b2.do("GET", "/v1/account", "", h); r.status != 200 { // cached on B
		t.Fatal(r.body)
	}
	if e := gateOnB(h["Cookie"]); e != nil {
		t.Fatal(e)
	}
	codes := a.do("POST", "/v1/account/mfa/recovery-codes", "", h).json(t)["recoveryCodes"].([]any)
	if r := a.do("PATCH", "/v1/account/mfa", `{"mfa":true}`, h); r.status != 200 {
		t.Fatal(r.body)
	}
	checkError(t, b2.do("GET", "/v1/account", "", h), 401, "user_more_factors_required", "")
	if e := gateOnB(h["Cookie"]); e == nil || e.Type != core.ErrUserMoreFactorsRequired {
		t.Fatalf("gate on B: %v", e)
	}
	id := challenge(t, a, h, "recoverycode")
	if r := complete(a, h, id, codes[0].(string)); r.status != 200 {
		t.Fatal(r.body)
	}
	if r := b2.do("GET", "/v1/account", "", h); r.status != 200 || r.json(t)["mfa"] != true {
		t.Fatalf("B after the challenge: %d %s", r.status, r.body)
	}
	if e := gateOnB(h["Cookie"]); e != nil {
		t.Fatalf("gate on B after the challenge: %v", e)
	}
}

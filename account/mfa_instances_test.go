package account_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account"
)

// TestMFAAcrossInstances: a session cached on B before MFA was turned on
// on A is half signed in on B at once (API and gate), and a challenge
// completed on A lets it through on B at once.
func TestMFAAcrossInstances(t *testing.T) {
	t.Parallel()
	b := &bus{}
	b.healthy.Store(true)
	a := newEnv(t, func(c *account.Config) { c.Revocations = b })
	other, err := account.New(context.Background(), account.Config{ProjectID: "test", Store: a.store, PublicURL: "http://localhost:8080",
		Revocations: b, Now: a.clock.Now, RateLimits: account.RateLimitConfig{Off: true},
		Password: account.PasswordConfig{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.svc.Run(ctx)
	go other.Run(ctx)
	for deadline := time.Now().Add(5 * time.Second); b.ready.Load() != 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("services did not subscribe")
		}
	}
	b2 := &env{t: t, svc: other, store: a.store, clock: a.clock}
	gateOnB := func(cookie string) *account.Error {
		req := httptest.NewRequest("GET", "http://localhost:8080/app", nil)
		req.Header.Set("Cookie", cookie)
		_, e := other.GateCheck(req)
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
	if e := gateOnB(h["Cookie"]); e == nil || e.Type != account.ErrUserMoreFactorsRequired {
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

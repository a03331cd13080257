package oauth

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

const (
	tenantA = "11111111-2222-3333-4444-555555555555"
	tenantB = "99999999-8888-7777-6666-555555555555"
)

func msIssuer(tid string) string { return "https://login.microsoftonline.com/" + tid + "/v2.0" }

// TestMicrosoftCommonTenant: with the common authority the discovery
// document's issuer is a {tenantid} template, and each token's iss must be
// the issuer of the tenant named by its tid claim.
func TestMicrosoftCommonTenant(t *testing.T) {
	f := newFakeIDP(t, func(base, prefix string) string { return "https://login.microsoftonline.com/{tenantid}/v2.0" })
	c := mustClient(t, "microsoft", Settings{ClientID: "app-id", ClientSecret: "s", Issuer: f.srv.URL + "/common/v2.0"})
	ctx := context.Background()
	verifier := oauth2.GenerateVerifier()

	raw, err := c.AuthCodeURL(context.Background(), "st", "n-1", verifier, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := mustQuery(t, raw)
	if !strings.HasPrefix(raw, f.srv.URL+"/common/v2.0/authorize?") || q.Get("nonce") != "n-1" ||
		q.Get("code_challenge_method") != "S256" || q.Get("scope") != "openid profile email offline_access" {
		t.Errorf("authorize URL = %s", raw)
	}

	good := idClaimsFor(msIssuer(tenantA), "app-id", "sub-a", "n-1")
	good["tid"], good["email"], good["name"], good["xms_edov"] = tenantA, "a@contoso.example", "Ann", true
	f.queue(good)
	_, id, err := c.Exchange(ctx, "code", verifier, "n-1")
	if err != nil {
		t.Fatal(err)
	}
	if id != (Identity{ID: "sub-a", Email: "a@contoso.example", Name: "Ann", EmailVerified: true}) {
		t.Errorf("identity = %+v", id)
	}
	if form := f.lastForm(); form.Get("code_verifier") != verifier || form.Get("client_secret") != "s" {
		t.Errorf("token request = %v", form)
	}

	// The email claim alone is not verified (no xms_edov).
	plain := idClaimsFor(msIssuer(tenantA), "app-id", "sub-a", "n-1")
	plain["tid"], plain["email"] = tenantA, "a@contoso.example"
	f.queue(plain)
	if _, id, err = c.Exchange(ctx, "code", verifier, "n-1"); err != nil || id.EmailVerified {
		t.Errorf("email without xms_edov: %+v, %v", id, err)
	}

	for name, mutate := range map[string]func(jwt.MapClaims){
		"tid of another tenant": func(cl jwt.MapClaims) { cl["tid"] = tenantB },
		"no tid":                func(cl jwt.MapClaims) { delete(cl, "tid") },
		"wrong nonce":           func(cl jwt.MapClaims) { cl["nonce"] = "other" },
		"wrong audience":        func(cl jwt.MapClaims) { cl["aud"] = "other-app" },
		"foreign issuer":        func(cl jwt.MapClaims) { cl["iss"] = "https://evil.example/" + tenantA + "/v2.0" },
		"expired":               func(cl jwt.MapClaims) { cl["exp"] = 1000 },
	} {
		cl := idClaimsFor(msIssuer(tenantA), "app-id", "sub-a", "n-1")
		cl["tid"] = tenantA
		mutate(cl)
		f.queue(cl)
		if _, _, err := c.Exchange(ctx, "code", verifier, "n-1"); !errors.Is(err, ErrIDToken) {
			t.Errorf("%s: err = %v, want ErrIDToken", name, err)
		}
	}
}

// TestMicrosoftSpecificTenant: a tenant id is verified as a normal issuer.
func TestMicrosoftSpecificTenant(t *testing.T) {
	f := newFakeIDP(t, func(base, prefix string) string { return base + prefix })
	iss := f.srv.URL + "/" + tenantA + "/v2.0"
	c := mustClient(t, "microsoft", Settings{ClientID: "app-id", ClientSecret: "s", Tenant: tenantA, Issuer: iss})
	verifier := oauth2.GenerateVerifier()

	cl := idClaimsFor(iss, "app-id", "sub-a", "n")
	cl["tid"] = tenantA
	f.queue(cl)
	if _, id, err := c.Exchange(context.Background(), "code", verifier, "n"); err != nil || id.ID != "sub-a" {
		t.Fatalf("specific tenant: %+v, %v", id, err)
	}
	cl = idClaimsFor(msIssuer(tenantB), "app-id", "sub-b", "n")
	cl["tid"] = tenantB
	f.queue(cl)
	if _, _, err := c.Exchange(context.Background(), "code", verifier, "n"); !errors.Is(err, ErrIDToken) {
		t.Errorf("token of another tenant: err = %v, want ErrIDToken", err)
	}
}

// TestOIDCUserinfoFallback: an ID token without email is completed from
// the userinfo endpoint, whose subject must match.
func TestOIDCUserinfoFallback(t *testing.T) {
	f := newFakeIDP(t, func(base, prefix string) string { return base + prefix })
	c := mustClient(t, "google", Settings{ClientID: "g-id", ClientSecret: "s", Issuer: f.srv.URL + "/g"})
	verifier := oauth2.GenerateVerifier()
	f.queue(idClaimsFor(f.srv.URL+"/g", "g-id", "g-sub", "n"))

	f.userinfo = map[string]any{"sub": "g-sub", "email": "g@example.com", "email_verified": true, "name": "G"}
	if _, id, err := c.Exchange(context.Background(), "code", verifier, "n"); err != nil || id != (Identity{ID: "g-sub", Email: "g@example.com", Name: "G", EmailVerified: true}) {
		t.Errorf("userinfo fallback: %+v, %v", id, err)
	}
	f.userinfo = map[string]any{"sub": "someone-else", "email": "x@example.com"}
	if _, _, err := c.Exchange(context.Background(), "code", verifier, "n"); !errors.Is(err, ErrIDToken) {
		t.Errorf("userinfo of another subject: err = %v", err)
	}
	f.mu.Lock()
	f.idToken = ""
	f.mu.Unlock()
	if _, _, err := c.Exchange(context.Background(), "code", verifier, "n"); !errors.Is(err, ErrIDToken) {
		t.Errorf("no id_token: err = %v", err)
	}
}

// TestLinkedInIssuers: LinkedIn's tokens may carry iss
// https://www.linkedin.com while discovery says …/oauth, and may lack the
// nonce; a present but different nonce still fails.
func TestLinkedInIssuers(t *testing.T) {
	f := newFakeIDP(t, func(base, prefix string) string { return base + prefix })
	iss := f.srv.URL + "/oauth"
	c := mustClient(t, "linkedin", Settings{ClientID: "li", ClientSecret: "s", Issuer: iss})
	p, _ := Lookup("linkedin")
	for _, tc := range []struct {
		iss, nonce string
		ok         bool
	}{
		{iss, "n", true},
		{p.AltIssuers[0], "", true},
		{iss, "other", false},
		{"https://elsewhere.example", "n", false},
	} {
		cl := idClaimsFor(tc.iss, "li", "li-sub", tc.nonce)
		cl["email"], cl["email_verified"] = "l@example.com", true
		if tc.nonce == "" {
			delete(cl, "nonce")
		}
		f.queue(cl)
		_, _, err := c.Exchange(context.Background(), "code", "", "n")
		if (err == nil) != tc.ok {
			t.Errorf("iss %q nonce %q: err = %v", tc.iss, tc.nonce, err)
		}
	}
}

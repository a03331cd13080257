package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// discovery is what an OpenID Connect discovery document told us.
type discovery struct {
	verifier   *oidc.IDTokenVerifier
	issuer     string // the document's "issuer" (Microsoft: may hold "{tenantid}")
	auth       string
	token      string
	userinfo   string
	pkce       bool // S256 advertised
	skipIssuer bool // the issuer is checked by checkIssuer, not go-oidc
}

// discover runs OIDC discovery once; a failure is not cached, so the next
// sign-in retries.
func (c *Client) discover(ctx context.Context) (*discovery, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.disc != nil {
		return c.disc, nil
	}
	if c.issuer == "" {
		return nil, fmt.Errorf("oauth: %s: no OpenID Connect issuer", c.p.Name)
	}
	dctx := oidc.ClientContext(ctx, c.hc)
	skip := len(c.p.AltIssuers) > 0
	if c.p.tenantIssuer && !guidRE.MatchString(c.tenant()) {
		// common / organizations / consumers / a domain name: the document's
		// issuer names another tenant (or "{tenantid}"); checkIssuer binds
		// each token's iss to its tid claim instead.
		dctx = oidc.InsecureIssuerURLContext(dctx, c.issuer)
		skip = true
	}
	prov, err := oidc.NewProvider(dctx, c.issuer)
	if err != nil {
		return nil, fmt.Errorf("oauth: %s: OIDC discovery: %w", c.p.Name, err)
	}
	var meta struct {
		Issuer  string   `json:"issuer"`
		Methods []string `json:"code_challenge_methods_supported"`
	}
	if err := prov.Claims(&meta); err != nil {
		return nil, fmt.Errorf("oauth: %s: OIDC discovery: %w", c.p.Name, err)
	}
	ep := prov.Endpoint()
	d := &discovery{
		verifier:   prov.Verifier(&oidc.Config{ClientID: c.s.ClientID, SkipIssuerCheck: skip}),
		issuer:     meta.Issuer,
		auth:       ep.AuthURL,
		token:      ep.TokenURL,
		userinfo:   prov.UserInfoEndpoint(),
		pkce:       slices.Contains(meta.Methods, "S256"),
		skipIssuer: skip,
	}
	c.disc = d
	return d, nil
}

func (c *Client) tenant() string {
	if t := strings.TrimSpace(c.s.Tenant); t != "" {
		return t
	}
	return "common"
}

// idClaims are the ID token / userinfo claims this package reads.
type idClaims struct {
	Sub               string   `json:"sub"`
	Email             string   `json:"email"`
	EmailVerified     flexBool `json:"email_verified"`
	Name              string   `json:"name"`
	GivenName         string   `json:"given_name"`
	FamilyName        string   `json:"family_name"`
	PreferredUsername string   `json:"preferred_username"`
	Nickname          string   `json:"nickname"`
	Tid               string   `json:"tid"`      // Microsoft tenant id
	XmsEdov           flexBool `json:"xms_edov"` // Microsoft: email domain owner verified (optional claim)
}

func (cl *idClaims) name() string {
	return firstNonEmpty(cl.Name, joinName(cl.GivenName, cl.FamilyName), cl.PreferredUsername, cl.Nickname)
}

// flexBool decodes true, "true" and 1 as true (Apple sends strings).
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*b = flexBool(truthy(v))
	return nil
}

func truthy(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case string:
		return strings.EqualFold(t, "true") || t == "1"
	case float64:
		return t == 1
	case json.Number:
		return t.String() == "1"
	}
	return false
}

func (c *Client) oidcIdentity(ctx context.Context, tok *oauth2.Token, nonce string) (Identity, error) {
	d, err := c.discover(ctx)
	if err != nil {
		return Identity{}, err
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, c.idErr("the token response has no id_token")
	}
	idt, err := d.verifier.Verify(ctx, raw)
	if err != nil {
		return Identity{}, c.idErr("%v", err)
	}
	var cl idClaims
	if err := idt.Claims(&cl); err != nil {
		return Identity{}, c.idErr("%v", err)
	}
	if d.skipIssuer {
		if err := c.checkIssuer(d, idt.Issuer, cl.Tid); err != nil {
			return Identity{}, err
		}
	}
	if nonce != "" && idt.Nonce != nonce && (idt.Nonce != "" || !c.p.NonceOptional) {
		return Identity{}, c.idErr("nonce mismatch")
	}
	id := Identity{
		ID:            idt.Subject,
		Email:         cl.Email,
		EmailVerified: bool(cl.EmailVerified) || (c.p.tenantIssuer && bool(cl.XmsEdov)),
		Name:          cl.name(),
	}
	if id.Email != "" {
		return id, nil
	}
	// No email in the ID token: ask the userinfo endpoint. Its failure only
	// leaves the email empty; a different subject is an error.
	u := c.userURL
	if u == "" {
		u = d.userinfo
	}
	if u == "" || tok.AccessToken == "" {
		return id, nil
	}
	r := &userRequest{c: c, tok: tok, url: u}
	m, err := r.get(ctx, u)
	if err != nil {
		return id, nil
	}
	ui := claimsOf(m)
	if ui.Sub != "" && ui.Sub != id.ID {
		return Identity{}, c.idErr("userinfo subject %q differs from the ID token's", ui.Sub)
	}
	if ui.Sub == id.ID {
		id.Email, id.EmailVerified = ui.Email, bool(ui.EmailVerified)
		if id.Name == "" {
			id.Name = ui.name()
		}
	}
	return id, nil
}

// idErr wraps ErrIDToken with the provider's name and a detail.
func (c *Client) idErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrIDToken, c.p.Name, fmt.Sprintf(format, args...))
}

// checkIssuer replaces go-oidc's issuer check for Microsoft's multi-tenant
// endpoints and for providers with alternative issuers.
func (c *Client) checkIssuer(d *discovery, iss, tid string) error {
	if c.p.tenantIssuer {
		if tid == "" {
			return c.idErr("no tid claim")
		}
		want := strings.ReplaceAll(d.issuer, "{tenantid}", tid)
		if !strings.Contains(want, "/"+tid+"/") || iss != want {
			return c.idErr("issuer %q does not belong to tenant %q", iss, tid)
		}
		return nil
	}
	if iss == c.issuer || slices.Contains(c.p.AltIssuers, iss) {
		return nil
	}
	return c.idErr("unexpected issuer %q", iss)
}

// claimsOf reads standard OIDC claims from a decoded userinfo reply.
func claimsOf(m object) idClaims {
	return idClaims{
		Sub:               m.str("sub"),
		Email:             m.str("email"),
		EmailVerified:     flexBool(m.truth("email_verified")),
		Name:              m.str("name"),
		GivenName:         m.str("given_name"),
		FamilyName:        m.str("family_name"),
		PreferredUsername: m.str("preferred_username"),
		Nickname:          m.str("nickname"),
	}
}

// userinfoUser reads an OIDC userinfo-shaped user API (sub, email,
// email_verified, name); used by providers whose ID tokens are not used.
func userinfoUser(ctx context.Context, r *userRequest) (Identity, error) {
	m, err := r.get(ctx, r.url)
	if err != nil {
		return Identity{}, err
	}
	cl := claimsOf(m)
	return Identity{ID: cl.Sub, Email: cl.Email, EmailVerified: bool(cl.EmailVerified), Name: cl.name()}, nil
}

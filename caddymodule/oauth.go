package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/oauth"
	"github.com/accountgate/accountgate/account/oauthapi"
)

// OAuth2Config configures one OAuth2 provider of a project.
type OAuth2Config struct {
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret,omitempty"`
	Scopes       []string `json:"scopes,omitempty"`
	// Issuer is the OpenID Connect issuer (required for "oidc").
	Issuer string `json:"issuer,omitempty"`
	// Domain is an Auth0/Okta/Authentik domain or a self-hosted GitLab URL.
	Domain string `json:"domain,omitempty"`
	// Tenant is a Microsoft tenant (common, organizations, consumers or an id).
	Tenant   string `json:"tenant,omitempty"`
	AuthURL  string `json:"auth_url,omitempty"`
	TokenURL string `json:"token_url,omitempty"`
	UserURL  string `json:"user_url,omitempty"`
	// Apple signs its client secret with a team key.
	TeamID         string `json:"team_id,omitempty"`
	KeyID          string `json:"key_id,omitempty"`
	PrivateKeyFile string `json:"private_key_file,omitempty"`
}

// oauthClients builds the project's provider clients.
func (p *Project) oauthClients(ctx context.Context, project string) (map[string]core.OAuthProvider, error) {
	if len(p.OAuth2) == 0 {
		return nil, nil
	}
	hc := &http.Client{Timeout: 15 * time.Second}
	clients := make(map[string]core.OAuthProvider, len(p.OAuth2))
	for name, c := range p.OAuth2 {
		prov, ok := oauth.Lookup(name)
		if !ok {
			return nil, fmt.Errorf("oauth2: unknown provider %q", name)
		}
		settings := oauth.Settings{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Scopes: c.Scopes,
			Issuer: c.Issuer, Domain: c.Domain, Tenant: c.Tenant, AuthURL: c.AuthURL, TokenURL: c.TokenURL, UserURL: c.UserURL,
			TeamID: c.TeamID, KeyID: c.KeyID}
		if c.PrivateKeyFile != "" {
			pem, err := os.ReadFile(c.PrivateKeyFile)
			if err != nil {
				return nil, fmt.Errorf("oauth2 %s: reading the private key: %w", name, err)
			}
			settings.PrivateKeyPEM = string(pem)
		}
		callback, err := oauthapi.OAuthCallbackURL(p.PublicURL, project, name)
		if err != nil {
			return nil, err
		}
		client, err := oauth.NewClient(ctx, prov, settings, callback, hc)
		if err != nil {
			return nil, fmt.Errorf("oauth2 %s: %w", name, err)
		}
		clients[name] = client
	}
	return clients, nil
}

func (p *Project) validateOAuth2() error {
	var errs []error
	for name, c := range p.OAuth2 {
		if _, ok := oauth.Lookup(name); !ok {
			errs = append(errs, fmt.Errorf("oauth2: unknown provider %q", name))
		}
		if c == nil || c.ClientID == "" {
			errs = append(errs, fmt.Errorf("oauth2 %s: a client id is required", name))
		}
	}
	return errors.Join(errs...)
}

// parseOAuth2 parses
//
//	oauth2 <provider> <client id> [<client secret>] {
//		scopes <scope> ...
//		issuer <url>
//		domain <domain or URL>
//		tenant <tenant>
//		auth_url|token_url|user_url <url>
//		team_id <id>
//		key_id <id>
//		private_key_file <path>
//	}
func parseOAuth2(d *caddyfile.Dispenser, args []string) (string, *OAuth2Config, error) {
	if len(args) < 2 || len(args) > 3 {
		return "", nil, d.Err("usage: oauth2 <provider> <client id> [<client secret>] { … }")
	}
	if _, ok := oauth.Lookup(args[0]); !ok {
		return "", nil, d.Errf("unknown OAuth2 provider %q", args[0])
	}
	c := &OAuth2Config{ClientID: args[1]}
	if len(args) == 3 {
		c.ClientSecret = args[2]
	}
	fields := map[string]*string{"issuer": &c.Issuer, "domain": &c.Domain, "tenant": &c.Tenant,
		"auth_url": &c.AuthURL, "token_url": &c.TokenURL, "user_url": &c.UserURL,
		"team_id": &c.TeamID, "key_id": &c.KeyID, "private_key_file": &c.PrivateKeyFile}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		sub := d.Val()
		vals := d.RemainingArgs()
		if sub == "scopes" {
			if len(vals) == 0 {
				return "", nil, d.ArgErr()
			}
			c.Scopes = append(c.Scopes, vals...)
			continue
		}
		f, ok := fields[sub]
		if !ok {
			return "", nil, d.Errf("unrecognized subdirective %q", sub)
		}
		if len(vals) != 1 {
			return "", nil, d.ArgErr()
		}
		*f = vals[0]
	}
	return args[0], c, nil
}

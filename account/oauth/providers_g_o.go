package oauth

import (
	"context"
	"strings"

	"golang.org/x/oauth2"
)

// Providers github … okta, and the generic "oidc".

func init() {
	register(
		// GitHub OAuth apps: scope user:email, PKCE (S256) supported; /user
		// (id, login, name, public email) and /user/emails (primary,
		// verified). Settings.Domain = a GitHub Enterprise Server base URL,
		// whose REST API is {base}/api/v3.
		&Provider{
			Name:          "github",
			AuthURL:       "{base}/login/oauth/authorize",
			TokenURL:      "{base}/login/oauth/access_token",
			UserURL:       "https://api.github.com/user",
			Scopes:        []string{"user:email"},
			PKCE:          true,
			AuthStyle:     oauth2.AuthStyleInParams,
			DefaultBase:   "https://github.com",
			domainUserURL: "{base}/api/v3/user",
			headers:       map[string]string{"Accept": "application/vnd.github+json"},
			Docs: []string{
				"https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps",
				"https://docs.github.com/en/rest/users/users#get-the-authenticated-user",
				"https://docs.github.com/en/rest/users/emails#list-email-addresses-for-the-authenticated-user",
			},
			user: githubUser,
		},
		// GitLab as an OpenID Connect provider (gitlab.com or a self-managed
		// base URL): issuer = base, /oauth/authorize, /oauth/token,
		// /oauth/userinfo; PKCE supported; email_verified claim.
		&Provider{
			Name:        "gitlab",
			AuthURL:     "{base}/oauth/authorize",
			TokenURL:    "{base}/oauth/token",
			UserURL:     "{base}/oauth/userinfo",
			OIDC:        true,
			Issuer:      "{base}",
			Scopes:      []string{"openid", "profile", "email"},
			PKCE:        true,
			AuthStyle:   oauth2.AuthStyleInParams,
			DefaultBase: "https://gitlab.com",
			Docs: []string{
				"https://docs.gitlab.com/integration/openid_connect_provider/",
				"https://docs.gitlab.com/api/oauth2/",
			},
		},
		// Google: OpenID Connect (issuer https://accounts.google.com), PKCE
		// supported, access_type=offline for a refresh token.
		&Provider{
			Name:       "google",
			AuthURL:    "https://accounts.google.com/o/oauth2/v2/auth",
			TokenURL:   "https://oauth2.googleapis.com/token",
			UserURL:    "https://openidconnect.googleapis.com/v1/userinfo",
			OIDC:       true,
			Issuer:     "https://accounts.google.com",
			Scopes:     []string{"openid", "email", "profile"},
			PKCE:       true,
			AuthParams: map[string]string{"access_type": "offline"},
			Docs: []string{
				"https://developers.google.com/identity/openid-connect/openid-connect",
				"https://accounts.google.com/.well-known/openid-configuration",
			},
		},
		// Sign In with LinkedIn using OpenID Connect: the discovery document
		// names the issuer https://www.linkedin.com/oauth while ID tokens are
		// seen with iss https://www.linkedin.com, so both are accepted; the
		// nonce claim is not guaranteed. Credentials go in the body; PKCE is
		// only for native apps.
		&Provider{
			Name:          "linkedin",
			AuthURL:       "https://www.linkedin.com/oauth/v2/authorization",
			TokenURL:      "https://www.linkedin.com/oauth/v2/accessToken",
			UserURL:       "https://api.linkedin.com/v2/userinfo",
			OIDC:          true,
			Issuer:        "https://www.linkedin.com/oauth",
			AltIssuers:    []string{"https://www.linkedin.com"},
			Scopes:        []string{"openid", "profile", "email"},
			NonceOptional: true,
			AuthStyle:     oauth2.AuthStyleInParams,
			Docs: []string{
				"https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2",
				"https://www.linkedin.com/oauth/.well-known/openid-configuration",
			},
		},
		// Microsoft identity platform v2.0: OpenID Connect per tenant
		// (common | organizations | consumers | id | domain); with a
		// multi-tenant authority the token's iss must match its tid. The
		// email claim is not verified by Microsoft; only the optional
		// xms_edov claim (email domain owner verified) marks it verified.
		&Provider{
			Name:         "microsoft",
			AuthURL:      "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
			TokenURL:     "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
			UserURL:      "https://graph.microsoft.com/oidc/userinfo",
			OIDC:         true,
			Issuer:       "https://login.microsoftonline.com/{tenant}/v2.0",
			Scopes:       []string{"openid", "profile", "email", "offline_access"},
			PKCE:         true,
			AuthStyle:    oauth2.AuthStyleInParams,
			tenantIssuer: true,
			Docs: []string{
				"https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc",
				"https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference",
				"https://learn.microsoft.com/en-us/entra/identity-platform/optional-claims-reference",
			},
		},
		// Notion public integrations: owner=user, Basic client
		// authentication with a JSON body; /v1/users/me answers the bot
		// user whose owner is the signed-in person. No verification flag.
		&Provider{
			Name:             "notion",
			AuthURL:          "https://api.notion.com/v1/oauth/authorize",
			TokenURL:         "https://api.notion.com/v1/oauth/token",
			UserURL:          "https://api.notion.com/v1/users/me",
			AuthStyle:        oauth2.AuthStyleInHeader,
			AuthParams:       map[string]string{"owner": "user"},
			jsonTokenRequest: true,
			headers:          map[string]string{"Notion-Version": "2022-06-28"},
			Docs: []string{
				"https://developers.notion.com/docs/authorization",
				"https://developers.notion.com/reference/get-self",
			},
			user: fields("bot.owner.user.id", "bot.owner.user.person.email", "bot.owner.user.name", ""),
		},
		// Generic OpenID Connect: Settings.Issuer is required; endpoints,
		// keys and PKCE support (code_challenge_methods_supported) come from
		// its discovery document.
		&Provider{
			Name:          "oidc",
			OIDC:          true,
			Scopes:        []string{"openid", "profile", "email"},
			pkceFromDisco: true,
			Docs: []string{
				"https://openid.net/specs/openid-connect-core-1_0.html",
				"https://openid.net/specs/openid-connect-discovery-1_0.html",
			},
		},
		// Okta: OpenID Connect with the "default" custom authorization server
		// (https://{domain}/oauth2/default); Settings.Issuer selects another
		// one (e.g. the org server https://{domain}). PKCE supported.
		&Provider{
			Name:     "okta",
			AuthURL:  "{base}/oauth2/default/v1/authorize",
			TokenURL: "{base}/oauth2/default/v1/token",
			UserURL:  "{base}/oauth2/default/v1/userinfo",
			OIDC:     true,
			Issuer:   "{base}/oauth2/default",
			Scopes:   []string{"openid", "profile", "email", "offline_access"},
			PKCE:     true,
			Docs: []string{
				"https://developer.okta.com/docs/concepts/auth-servers/",
				"https://developer.okta.com/docs/reference/api/oidc/",
			},
		},
	)
}

// githubUser reads /user, then /user/emails for the primary verified
// address; without access to the list the public email is kept, unverified.
func githubUser(ctx context.Context, r *userRequest) (Identity, error) {
	m, err := r.get(ctx, r.url)
	if err != nil {
		return Identity{}, err
	}
	id := Identity{ID: m.str("id"), Name: firstNonEmpty(m.str("name"), m.str("login"))}
	public := m.str("email")
	list, err := r.getList(ctx, strings.TrimRight(r.url, "/")+"/emails")
	if err != nil {
		id.Email = public
		return id, nil
	}
	email, verified := pickEmail(list, "email", "primary", "verified")
	if !verified && public != "" {
		email = public
	}
	id.Email, id.EmailVerified = email, verified
	return id, nil
}

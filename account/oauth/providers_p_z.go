package oauth

import (
	"context"
	"encoding/json"
	"strings"

	"golang.org/x/oauth2"
)

// Providers paypal … zoom.

// paypal builds "Log in with PayPal" for one environment. Its ID tokens are
// HS256-signed with the client secret, so the identity comes from the
// userinfo API (schema paypalv1.1: payer_id, name, emails[].primary /
// confirmed). Basic client authentication; no documented PKCE.
func paypal(name, web, api string) *Provider {
	return &Provider{
		Name:       name,
		AuthURL:    web + "/signin/authorize",
		TokenURL:   api + "/v1/oauth2/token",
		UserURL:    api + "/v1/identity/oauth2/userinfo?schema=paypalv1.1",
		Scopes:     []string{"openid", "profile", "email"},
		AuthStyle:  oauth2.AuthStyleInHeader,
		AuthParams: map[string]string{"flowEntry": "static"},
		Docs: []string{
			"https://developer.paypal.com/docs/log-in-with-paypal/integrate/",
			"https://developer.paypal.com/docs/api/identity/v1/#userinfo_get",
		},
		user: func(ctx context.Context, r *userRequest) (Identity, error) {
			m, err := r.get(ctx, r.url)
			if err != nil {
				return Identity{}, err
			}
			email, ok := pickEmail(m.list("emails"), "value", "primary", "confirmed")
			return Identity{ID: firstNonEmpty(m.str("payer_id"), m.str("user_id")), Email: email, EmailVerified: ok, Name: m.str("name")}, nil
		},
	}
}

// tradeshift builds Tradeshift for one environment: Basic client
// authentication, scopes "openid offline", and account/info/user (Id,
// Username = email, FirstName, LastName; no verification flag).
func tradeshift(name, host string) *Provider {
	return &Provider{
		Name:      name,
		AuthURL:   "https://" + host + "/tradeshift/auth/login",
		TokenURL:  "https://" + host + "/tradeshift/auth/token",
		UserURL:   "https://" + host + "/tradeshift/rest/external/account/info/user",
		Scopes:    []string{"openid", "offline"},
		AuthStyle: oauth2.AuthStyleInHeader,
		Docs:      []string{"https://developers.tradeshift.com/docs/api"},
		user: func(ctx context.Context, r *userRequest) (Identity, error) {
			m, err := r.get(ctx, r.url)
			if err != nil {
				return Identity{}, err
			}
			return Identity{ID: m.str("Id"), Email: m.str("Username"), Name: joinName(m.str("FirstName"), m.str("LastName"))}, nil
		},
	}
}

func init() {
	register(
		paypal("paypal", "https://www.paypal.com", "https://api-m.paypal.com"),
		paypal("paypalSandbox", "https://www.sandbox.paypal.com", "https://api-m.sandbox.paypal.com"),
		// Podio: server-side flow with the token endpoint /oauth/token/v2 (a
		// JSON body); the API wants "Authorization: OAuth2 <token>"; /user
		// (user_id, mail, mails[].verified) and /user/profile (name).
		&Provider{
			Name:             "podio",
			AuthURL:          "https://podio.com/oauth/authorize",
			TokenURL:         "https://api.podio.com/oauth/token/v2",
			UserURL:          "https://api.podio.com/user",
			AuthStyle:        oauth2.AuthStyleInParams,
			jsonTokenRequest: true,
			authScheme:       "OAuth2",
			Docs: []string{
				"https://developers.podio.com/authentication/server_side",
				"https://developers.podio.com/doc/users",
			},
			user: func(ctx context.Context, r *userRequest) (Identity, error) {
				m, err := r.get(ctx, r.url)
				if err != nil {
					return Identity{}, err
				}
				id := Identity{ID: m.str("user_id"), Email: m.str("mail")}
				for _, e := range m.list("mails") {
					if strings.EqualFold(e.str("mail"), id.Email) {
						id.EmailVerified = e.truth("verified")
					}
				}
				if p, err := r.get(ctx, strings.TrimRight(r.url, "/")+"/profile"); err == nil {
					id.Name = p.str("name")
				}
				return id, nil
			},
		},
		// Salesforce: OpenID Connect (issuer https://login.salesforce.com;
		// Settings.Issuer for My Domain or test.salesforce.com), PKCE
		// supported; email and profile scopes give the email claims.
		&Provider{
			Name:      "salesforce",
			AuthURL:   "https://login.salesforce.com/services/oauth2/authorize",
			TokenURL:  "https://login.salesforce.com/services/oauth2/token",
			UserURL:   "https://login.salesforce.com/services/oauth2/userinfo",
			OIDC:      true,
			Issuer:    "https://login.salesforce.com",
			Scopes:    []string{"openid", "email", "profile"},
			PKCE:      true,
			AuthStyle: oauth2.AuthStyleInParams,
			Docs: []string{
				"https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm",
				"https://help.salesforce.com/s/articleView?id=sf.remoteaccess_using_openid_discovery_endpoint.htm",
			},
		},
		// Sign in with Slack (OpenID Connect, issuer https://slack.com),
		// nonce supported, email_verified claim; no documented PKCE.
		&Provider{
			Name:     "slack",
			AuthURL:  "https://slack.com/openid/connect/authorize",
			TokenURL: "https://slack.com/api/openid.connect.token",
			UserURL:  "https://slack.com/api/openid.connect.userInfo",
			OIDC:     true,
			Issuer:   "https://slack.com",
			Scopes:   []string{"openid", "email", "profile"},
			Docs:     []string{"https://api.slack.com/authentication/sign-in-with-slack"},
		},
		// Spotify: authorization code flow (PKCE supported), scope
		// user-read-email; /v1/me (id, display_name, email). Spotify states
		// that the email is unverified.
		&Provider{
			Name:      "spotify",
			AuthURL:   "https://accounts.spotify.com/authorize",
			TokenURL:  "https://accounts.spotify.com/api/token",
			UserURL:   "https://api.spotify.com/v1/me",
			Scopes:    []string{"user-read-email"},
			PKCE:      true,
			AuthStyle: oauth2.AuthStyleInHeader,
			Docs: []string{
				"https://developer.spotify.com/documentation/web-api/tutorials/code-flow",
				"https://developer.spotify.com/documentation/web-api/reference/get-current-users-profile",
			},
			user: fields("id", "email", "display_name", ""),
		},
		// Stripe Connect OAuth: scope read_write (as Appwrite); the token
		// reply names the account (stripe_user_id) and GET /v1/account with
		// the access token describes it. No verification flag.
		&Provider{
			Name:      "stripe",
			AuthURL:   "https://connect.stripe.com/oauth/authorize",
			TokenURL:  "https://connect.stripe.com/oauth/token",
			UserURL:   "https://api.stripe.com/v1/account",
			Scopes:    []string{"read_write"},
			AuthStyle: oauth2.AuthStyleInParams,
			Docs: []string{
				"https://docs.stripe.com/connect/oauth-reference",
				"https://docs.stripe.com/api/accounts/retrieve",
			},
			user: func(ctx context.Context, r *userRequest) (Identity, error) {
				m, err := r.get(ctx, r.url)
				if err != nil {
					return Identity{}, err
				}
				acct, _ := r.tok.Extra("stripe_user_id").(string)
				return Identity{
					ID:    firstNonEmpty(acct, m.str("id")),
					Email: m.str("email"),
					Name:  firstNonEmpty(m.str("business_profile.name"), m.str("settings.dashboard.display_name")),
				}, nil
			},
		},
		tradeshift("tradeshift", "api.tradeshift.com"),
		tradeshift("tradeshiftBox", "api-sandbox.tradeshift.com"),
		// Twitch: OpenID Connect (issuer https://id.twitch.tv/oauth2); the
		// email claims must be asked for with the claims parameter; nonce
		// supported, no documented PKCE; credentials in the body.
		&Provider{
			Name:      "twitch",
			AuthURL:   "https://id.twitch.tv/oauth2/authorize",
			TokenURL:  "https://id.twitch.tv/oauth2/token",
			UserURL:   "https://id.twitch.tv/oauth2/userinfo",
			OIDC:      true,
			Issuer:    "https://id.twitch.tv/oauth2",
			Scopes:    []string{"openid", "user:read:email"},
			AuthStyle: oauth2.AuthStyleInParams,
			AuthParams: map[string]string{"claims": `{"id_token":{"email":null,"email_verified":null,"preferred_username":null},` +
				`"userinfo":{"email":null,"email_verified":null,"preferred_username":null}}`},
			Docs: []string{"https://dev.twitch.tv/docs/authentication/getting-tokens-oidc/"},
		},
		// WordPress.com: scope auth; /rest/v1/me (ID, display_name, email,
		// email_verified).
		&Provider{
			Name:      "wordpress",
			AuthURL:   "https://public-api.wordpress.com/oauth2/authorize",
			TokenURL:  "https://public-api.wordpress.com/oauth2/token",
			UserURL:   "https://public-api.wordpress.com/rest/v1/me",
			Scopes:    []string{"auth"},
			AuthStyle: oauth2.AuthStyleInParams,
			Docs: []string{
				"https://developer.wordpress.com/docs/oauth2/",
				"https://developer.wordpress.com/docs/api/1/get/me/",
			},
			user: fields("ID", "email", "display_name|username", "email_verified"),
		},
		// Yahoo: OpenID Connect (issuer https://api.login.yahoo.com), nonce
		// supported, Basic client authentication; no documented PKCE.
		&Provider{
			Name:      "yahoo",
			AuthURL:   "https://api.login.yahoo.com/oauth2/request_auth",
			TokenURL:  "https://api.login.yahoo.com/oauth2/get_token",
			UserURL:   "https://api.login.yahoo.com/openid/v1/userinfo",
			OIDC:      true,
			Issuer:    "https://api.login.yahoo.com",
			Scopes:    []string{"openid", "profile", "email"},
			AuthStyle: oauth2.AuthStyleInHeader,
			Docs:      []string{"https://developer.yahoo.com/oauth2/guide/openid_connect/"},
		},
		// Yammer (Viva Engage) legacy OAuth 2: the token reply nests the
		// token ({"access_token":{"token":…}}); users/current.json (id,
		// full_name, email; no verification flag).
		&Provider{
			Name:      "yammer",
			AuthURL:   "https://www.yammer.com/oauth2/authorize",
			TokenURL:  "https://www.yammer.com/oauth2/access_token",
			UserURL:   "https://www.yammer.com/api/v1/users/current.json",
			AuthStyle: oauth2.AuthStyleInParams,
			fixToken:  flattenYammerToken,
			Docs: []string{
				"https://learn.microsoft.com/en-us/rest/api/yammer/oauth-2",
				"https://learn.microsoft.com/en-us/rest/api/yammer/userscurrentjson",
			},
			user: fields("id", "email", "full_name|name", ""),
		},
		// Yandex ID: PKCE supported, scopes default to the app's rights; the
		// info API wants "Authorization: OAuth <token>" (id, default_email,
		// display_name, real_name; no verification flag).
		&Provider{
			Name:       "yandex",
			AuthURL:    "https://oauth.yandex.com/authorize",
			TokenURL:   "https://oauth.yandex.com/token",
			UserURL:    "https://login.yandex.ru/info?format=json",
			PKCE:       true,
			authScheme: "OAuth",
			Docs: []string{
				"https://yandex.com/dev/id/doc/en/codes/code-url",
				"https://yandex.com/dev/id/doc/en/user-information",
			},
			user: fields("id", "default_email", "real_name|display_name|login", ""),
		},
		// Zoom: scopes default to the app's; Basic client authentication;
		// PKCE supported; /v2/users/me (id, email, verified = 1 when the
		// email is verified).
		&Provider{
			Name:      "zoom",
			AuthURL:   "https://zoom.us/oauth/authorize",
			TokenURL:  "https://zoom.us/oauth/token",
			UserURL:   "https://api.zoom.us/v2/users/me",
			PKCE:      true,
			AuthStyle: oauth2.AuthStyleInHeader,
			Docs: []string{
				"https://developers.zoom.us/docs/integrations/oauth/",
				"https://developers.zoom.us/docs/api/users/#tag/users/GET/users/{userId}",
			},
			user: func(ctx context.Context, r *userRequest) (Identity, error) {
				m, err := r.get(ctx, r.url)
				if err != nil {
					return Identity{}, err
				}
				id := m.identity("id", "email", "display_name", "verified")
				id.Name = firstNonEmpty(id.Name, joinName(m.str("first_name"), m.str("last_name")))
				return id, nil
			},
		},
	)
}

// flattenYammerToken rewrites {"access_token":{"token":"…"}} into a
// standard token reply; anything else passes unchanged.
func flattenYammerToken(body []byte) []byte {
	var v struct {
		AccessToken json.RawMessage `json:"access_token"`
	}
	if json.Unmarshal(body, &v) != nil || len(v.AccessToken) == 0 || v.AccessToken[0] != '{' {
		return body
	}
	var nested struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(v.AccessToken, &nested) != nil || nested.Token == "" {
		return body
	}
	out, _ := json.Marshal(map[string]string{"access_token": nested.Token, "token_type": "Bearer"})
	return out
}

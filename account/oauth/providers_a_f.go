package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// Providers amazon … facebook. Each entry cites the documentation its
// endpoints, scopes, PKCE support and email-verification source come from.

func init() {
	register(
		// Login with Amazon: authorization code grant (PKCE: code_challenge,
		// S256) and the customer profile API (user_id, name, email; no
		// verification flag).
		&Provider{
			Name:     "amazon",
			AuthURL:  "https://www.amazon.com/ap/oa",
			TokenURL: "https://api.amazon.com/auth/o2/token",
			UserURL:  "https://api.amazon.com/user/profile",
			Scopes:   []string{"profile"},
			PKCE:     true,
			Docs: []string{
				"https://developer.amazon.com/docs/login-with-amazon/authorization-code-grant.html",
				"https://developer.amazon.com/docs/login-with-amazon/obtain-customer-profile.html",
			},
			user: fields("user_id", "email", "name", ""),
		},
		// Sign in with Apple: OpenID Connect (issuer https://appleid.apple.com),
		// scopes "name email" with response_mode=form_post, nonce supported,
		// no documented PKCE; email_verified is a string in the ID token.
		&Provider{
			Name:        "apple",
			AuthURL:     "https://appleid.apple.com/auth/authorize",
			TokenURL:    "https://appleid.apple.com/auth/token",
			OIDC:        true,
			Issuer:      "https://appleid.apple.com",
			Scopes:      []string{"name", "email"},
			FormPost:    true,
			AuthStyle:   oauth2.AuthStyleInParams,
			appleSecret: true,
			Docs: []string{
				"https://developer.apple.com/documentation/sign_in_with_apple/request_an_authorization_to_the_sign_in_with_apple_server",
				"https://developer.apple.com/documentation/sign_in_with_apple/generate_and_validate_tokens",
				"https://appleid.apple.com/.well-known/openid-configuration",
			},
		},
		// Auth0: OpenID Connect; issuer https://{domain}/ (trailing slash),
		// /authorize, /oauth/token, /userinfo; PKCE supported.
		&Provider{
			Name:     "auth0",
			AuthURL:  "{base}/authorize",
			TokenURL: "{base}/oauth/token",
			UserURL:  "{base}/userinfo",
			OIDC:     true,
			Issuer:   "{base}/",
			Scopes:   []string{"openid", "profile", "email", "offline_access"},
			PKCE:     true,
			Docs: []string{
				"https://auth0.com/docs/api/authentication",
				"https://auth0.com/docs/get-started/applications/configure-applications-with-oidc-discovery",
			},
		},
		// authentik: OAuth2/OpenID provider; the global endpoints live under
		// /application/o/, the issuer is per application
		// (https://{domain}/application/o/{slug}/). With Settings.Issuer the
		// ID token is verified; with only a domain the identity comes from
		// the userinfo endpoint. PKCE supported.
		&Provider{
			Name:     "authentik",
			AuthURL:  "{base}/application/o/authorize/",
			TokenURL: "{base}/application/o/token/",
			UserURL:  "{base}/application/o/userinfo/",
			OIDC:     true,
			Scopes:   []string{"openid", "profile", "email", "offline_access"},
			PKCE:     true,
			Docs:     []string{"https://docs.goauthentik.io/docs/add-secure-apps/providers/oauth2/"},
		},
		// Autodesk Platform Services, authentication v2 (Basic client
		// authentication, PKCE supported) and the OIDC-shaped userinfo API
		// (sub, name, email, email_verified).
		&Provider{
			Name:      "autodesk",
			AuthURL:   "https://developer.api.autodesk.com/authentication/v2/authorize",
			TokenURL:  "https://developer.api.autodesk.com/authentication/v2/token",
			UserURL:   "https://api.userprofile.autodesk.com/userinfo",
			Scopes:    []string{"user-profile:read"},
			PKCE:      true,
			AuthStyle: oauth2.AuthStyleInHeader,
			Docs: []string{
				"https://aps.autodesk.com/en/docs/oauth/v2/reference/http/authorize-GET/",
				"https://aps.autodesk.com/en/docs/oauth/v2/reference/http/gettoken-POST/",
				"https://aps.autodesk.com/en/docs/profile/v1/reference/profile/oidcuserinfo/",
			},
			user: userinfoUser,
		},
		// Bitbucket Cloud: scopes are set on the OAuth consumer; Basic client
		// authentication; /2.0/user (uuid, display_name) and /2.0/user/emails
		// (is_primary, is_confirmed). No documented PKCE.
		&Provider{
			Name:      "bitbucket",
			AuthURL:   "https://bitbucket.org/site/oauth2/authorize",
			TokenURL:  "https://bitbucket.org/site/oauth2/access_token",
			UserURL:   "https://api.bitbucket.org/2.0/user",
			AuthStyle: oauth2.AuthStyleInHeader,
			Docs: []string{
				"https://developer.atlassian.com/cloud/bitbucket/oauth-2/",
				"https://developer.atlassian.com/cloud/bitbucket/rest/api-group-users/",
			},
			user: bitbucketUser,
		},
		// Bitly: OAuth web flow (no scopes), form-encoded token reply, and
		// /v4/user (login, name, emails[].is_primary/is_verified).
		&Provider{
			Name:      "bitly",
			AuthURL:   "https://bitly.com/oauth/authorize",
			TokenURL:  "https://api-ssl.bitly.com/oauth/access_token",
			UserURL:   "https://api-ssl.bitly.com/v4/user",
			AuthStyle: oauth2.AuthStyleInParams,
			Docs: []string{
				"https://dev.bitly.com/docs/getting-started/authentication/",
				"https://dev.bitly.com/api-reference/#getUser",
			},
			user: func(ctx context.Context, r *userRequest) (Identity, error) {
				m, err := r.get(ctx, r.url)
				if err != nil {
					return Identity{}, err
				}
				email, ok := pickEmail(m.list("emails"), "email", "is_primary", "is_verified")
				return Identity{ID: m.str("login"), Email: email, EmailVerified: ok, Name: m.str("name")}, nil
			},
		},
		// Box: scopes default to the app's configured scopes; /2.0/users/me
		// (id, login = email, name; no verification flag).
		&Provider{
			Name:      "box",
			AuthURL:   "https://account.box.com/api/oauth2/authorize",
			TokenURL:  "https://api.box.com/oauth2/token",
			UserURL:   "https://api.box.com/2.0/users/me",
			AuthStyle: oauth2.AuthStyleInParams,
			Docs: []string{
				"https://developer.box.com/reference/get-authorize/",
				"https://developer.box.com/reference/post-oauth2-token/",
				"https://developer.box.com/reference/get-users-me/",
			},
			user: fields("id", "login", "name", ""),
		},
		// Dailymotion: scopes userinfo and email; /user/me with fields (its
		// "verified" flag is about partner accounts, not the email).
		&Provider{
			Name:      "dailymotion",
			AuthURL:   "https://www.dailymotion.com/oauth/authorize",
			TokenURL:  "https://api.dailymotion.com/oauth/token",
			UserURL:   "https://api.dailymotion.com/user/me?fields=id,email,fullname,screenname",
			Scopes:    []string{"userinfo", "email"},
			AuthStyle: oauth2.AuthStyleInParams,
			Docs: []string{
				"https://developers.dailymotion.com/guides/platform-api-authentication/",
				"https://developers.dailymotion.com/reference/platform-api/#user",
			},
			user: fields("id", "email", "fullname|screenname", ""),
		},
		// Discord: scopes identify and email; /users/@me (id, email,
		// verified = "whether the email on this account has been verified").
		&Provider{
			Name:     "discord",
			AuthURL:  "https://discord.com/oauth2/authorize",
			TokenURL: "https://discord.com/api/oauth2/token",
			UserURL:  "https://discord.com/api/users/@me",
			Scopes:   []string{"identify", "email"},
			Docs: []string{
				"https://discord.com/developers/docs/topics/oauth2",
				"https://discord.com/developers/docs/resources/user#get-current-user",
			},
			user: fields("id", "email", "global_name|username", "verified"),
		},
		// Disqus: comma-separated scopes read,email; users/details.json wants
		// api_key/api_secret and the token as query parameters and wraps the
		// user in "response"; no verification flag.
		&Provider{
			Name:           "disqus",
			AuthURL:        "https://disqus.com/api/oauth/2.0/authorize/",
			TokenURL:       "https://disqus.com/api/oauth/2.0/access_token/",
			UserURL:        "https://disqus.com/api/3.0/users/details.json",
			Scopes:         []string{"read", "email"},
			ScopeSeparator: ",",
			AuthStyle:      oauth2.AuthStyleInParams,
			authScheme:     "-",
			Docs: []string{
				"https://disqus.com/api/docs/auth/",
				"https://disqus.com/api/docs/users/details/",
			},
			user: func(ctx context.Context, r *userRequest) (Identity, error) {
				u := withQuery(r.url, "access_token", r.tok.AccessToken, "api_key", r.c.s.ClientID, "api_secret", r.c.s.ClientSecret)
				m, err := r.get(ctx, u)
				if err != nil {
					return Identity{}, err
				}
				return m.identity("response.id", "response.email", "response.name|response.username", ""), nil
			},
		},
		// Dropbox: PKCE supported, token_access_type=offline for a refresh
		// token, scopes default to the app's; users/get_current_account is an
		// RPC POST without a body (account_id, email, email_verified).
		&Provider{
			Name:       "dropbox",
			AuthURL:    "https://www.dropbox.com/oauth2/authorize",
			TokenURL:   "https://api.dropboxapi.com/oauth2/token",
			UserURL:    "https://api.dropboxapi.com/2/users/get_current_account",
			PKCE:       true,
			AuthParams: map[string]string{"token_access_type": "offline"},
			Docs: []string{
				"https://www.dropbox.com/developers/documentation/http/documentation#oauth2-authorize",
				"https://www.dropbox.com/developers/documentation/http/documentation#users-get_current_account",
			},
			user: func(ctx context.Context, r *userRequest) (Identity, error) {
				body, err := r.do(ctx, http.MethodPost, r.url)
				if err != nil {
					return Identity{}, err
				}
				m, err := decodeObject(body)
				if err != nil {
					return Identity{}, err
				}
				return m.identity("account_id", "email", "name.display_name", "email_verified"), nil
			},
		},
		// Etsy Open API v3: PKCE is required and the token request carries
		// no secret; the access token starts with the numeric user id; API
		// calls send x-api-key "keystring:shared secret". No verification flag.
		&Provider{
			Name:         "etsy",
			AuthURL:      "https://www.etsy.com/oauth/connect",
			TokenURL:     "https://api.etsy.com/v3/public/oauth/token",
			UserURL:      "https://api.etsy.com/v3/application/users",
			Scopes:       []string{"email_r", "profile_r"},
			PKCE:         true,
			PublicClient: true,
			Docs: []string{
				"https://developers.etsy.com/documentation/essentials/authentication",
				"https://developers.etsy.com/documentation/essentials/requests",
				"https://developers.etsy.com/documentation/reference#operation/getUser",
			},
			user: func(ctx context.Context, r *userRequest) (Identity, error) {
				uid, _, _ := strings.Cut(r.tok.AccessToken, ".")
				if uid == "" {
					return Identity{}, nil
				}
				key := r.c.s.ClientID + ":" + r.c.s.ClientSecret
				m, err := r.get(ctx, strings.TrimRight(r.url, "/")+"/"+url.PathEscape(uid), "x-api-key", key)
				if err != nil {
					return Identity{}, err
				}
				id := m.identity("user_id", "primary_email", "login_name", "")
				id.Name = firstNonEmpty(joinName(m.str("first_name"), m.str("last_name")), id.Name)
				return id, nil
			},
		},
		// Facebook Login (manual flow) and the Graph API user node; the
		// unversioned endpoints use the app's default Graph API version.
		// appsecret_proof is sent so apps that require it work. Facebook has
		// no email-verification flag.
		&Provider{
			Name:       "facebook",
			AuthURL:    "https://www.facebook.com/dialog/oauth",
			TokenURL:   "https://graph.facebook.com/oauth/access_token",
			UserURL:    "https://graph.facebook.com/me?fields=id,name,email",
			Scopes:     []string{"email"},
			AuthStyle:  oauth2.AuthStyleInParams,
			authScheme: "-",
			Docs: []string{
				"https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow",
				"https://developers.facebook.com/docs/graph-api/reference/user",
				"https://developers.facebook.com/docs/graph-api/securing-requests#appsecret_proof",
			},
			user: func(ctx context.Context, r *userRequest) (Identity, error) {
				mac := hmac.New(sha256.New, []byte(r.c.s.ClientSecret))
				mac.Write([]byte(r.tok.AccessToken))
				u := withQuery(r.url, "access_token", r.tok.AccessToken, "appsecret_proof", hex.EncodeToString(mac.Sum(nil)))
				m, err := r.get(ctx, u)
				if err != nil {
					return Identity{}, err
				}
				return m.identity("id", "email", "name", ""), nil
			},
		},
	)
}

// withQuery adds key/value pairs to a URL's query.
func withQuery(raw string, kv ...string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// bitbucketUser reads /2.0/user and /2.0/user/emails.
func bitbucketUser(ctx context.Context, r *userRequest) (Identity, error) {
	m, err := r.get(ctx, r.url)
	if err != nil {
		return Identity{}, err
	}
	id := Identity{ID: m.str("uuid"), Name: firstNonEmpty(m.str("display_name"), m.str("nickname"))}
	if em, err := r.get(ctx, strings.TrimRight(r.url, "/")+"/emails"); err == nil {
		id.Email, id.EmailVerified = pickEmail(em.list("values"), "email", "is_primary", "is_confirmed")
	}
	return id, nil
}

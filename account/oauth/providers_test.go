package oauth

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// appwriteProviders is the provider whitelist of Appwrite 1.3
// (/work/shared/spec/account-api.txt, createOAuth2Session), plus "oidc".
var appwriteProviders = []string{"amazon", "apple", "auth0", "authentik", "autodesk", "bitbucket", "bitly", "box",
	"dailymotion", "discord", "disqus", "dropbox", "etsy", "facebook", "github", "gitlab", "google", "linkedin",
	"microsoft", "notion", "okta", "paypal", "paypalSandbox", "podio", "salesforce", "slack", "spotify", "stripe",
	"tradeshift", "tradeshiftBox", "twitch", "wordpress", "yahoo", "yammer", "yandex", "zoom", "oidc"}

type wantProvider struct {
	auth, token, user, issuer string
	scopes                    []string
	oidc, pkce                bool
}

// wantProviders are the expected table values; the comment on each line
// names the documentation they come from.
var wantProviders = map[string]wantProvider{
	// developer.amazon.com/docs/login-with-amazon/authorization-code-grant.html, obtain-customer-profile.html
	"amazon": {"https://www.amazon.com/ap/oa", "https://api.amazon.com/auth/o2/token", "https://api.amazon.com/user/profile", "", []string{"profile"}, false, true},
	// developer.apple.com sign_in_with_apple (authorize, token), appleid.apple.com/.well-known/openid-configuration
	"apple": {"https://appleid.apple.com/auth/authorize", "https://appleid.apple.com/auth/token", "", "https://appleid.apple.com", []string{"name", "email"}, true, false},
	// auth0.com/docs/api/authentication
	"auth0": {"{base}/authorize", "{base}/oauth/token", "{base}/userinfo", "{base}/", []string{"openid", "profile", "email", "offline_access"}, true, true},
	// docs.goauthentik.io providers/oauth2
	"authentik": {"{base}/application/o/authorize/", "{base}/application/o/token/", "{base}/application/o/userinfo/", "", []string{"openid", "profile", "email", "offline_access"}, true, true},
	// aps.autodesk.com oauth v2 authorize-GET, gettoken-POST, profile oidcuserinfo
	"autodesk": {"https://developer.api.autodesk.com/authentication/v2/authorize", "https://developer.api.autodesk.com/authentication/v2/token", "https://api.userprofile.autodesk.com/userinfo", "", []string{"user-profile:read"}, false, true},
	// developer.atlassian.com/cloud/bitbucket/oauth-2, rest api-group-users
	"bitbucket": {"https://bitbucket.org/site/oauth2/authorize", "https://bitbucket.org/site/oauth2/access_token", "https://api.bitbucket.org/2.0/user", "", nil, false, false},
	// dev.bitly.com authentication, api-reference getUser
	"bitly": {"https://bitly.com/oauth/authorize", "https://api-ssl.bitly.com/oauth/access_token", "https://api-ssl.bitly.com/v4/user", "", nil, false, false},
	// developer.box.com/reference get-authorize, post-oauth2-token, get-users-me
	"box": {"https://account.box.com/api/oauth2/authorize", "https://api.box.com/oauth2/token", "https://api.box.com/2.0/users/me", "", nil, false, false},
	// developers.dailymotion.com platform API authentication, user object
	"dailymotion": {"https://www.dailymotion.com/oauth/authorize", "https://api.dailymotion.com/oauth/token", "https://api.dailymotion.com/user/me?fields=id,email,fullname,screenname", "", []string{"userinfo", "email"}, false, false},
	// discord.com/developers/docs/topics/oauth2, resources/user#get-current-user
	"discord": {"https://discord.com/oauth2/authorize", "https://discord.com/api/oauth2/token", "https://discord.com/api/users/@me", "", []string{"identify", "email"}, false, false},
	// disqus.com/api/docs/auth, users/details
	"disqus": {"https://disqus.com/api/oauth/2.0/authorize/", "https://disqus.com/api/oauth/2.0/access_token/", "https://disqus.com/api/3.0/users/details.json", "", []string{"read", "email"}, false, false},
	// dropbox.com/developers/documentation/http/documentation oauth2-authorize, users-get_current_account
	"dropbox": {"https://www.dropbox.com/oauth2/authorize", "https://api.dropboxapi.com/oauth2/token", "https://api.dropboxapi.com/2/users/get_current_account", "", nil, false, true},
	// developers.etsy.com/documentation/essentials/authentication, reference getUser
	"etsy": {"https://www.etsy.com/oauth/connect", "https://api.etsy.com/v3/public/oauth/token", "https://api.etsy.com/v3/application/users", "", []string{"email_r", "profile_r"}, false, true},
	// developers.facebook.com facebook-login manual-flow, graph-api reference user
	"facebook": {"https://www.facebook.com/dialog/oauth", "https://graph.facebook.com/oauth/access_token", "https://graph.facebook.com/me?fields=id,name,email", "", []string{"email"}, false, false},
	// docs.github.com authorizing-oauth-apps, rest users, rest users/emails
	"github": {"{base}/login/oauth/authorize", "{base}/login/oauth/access_token", "https://api.github.com/user", "", []string{"user:email"}, false, true},
	// docs.gitlab.com integration/openid_connect_provider, api/oauth2
	"gitlab": {"{base}/oauth/authorize", "{base}/oauth/token", "{base}/oauth/userinfo", "{base}", []string{"openid", "profile", "email"}, true, true},
	// developers.google.com/identity/openid-connect/openid-connect
	"google": {"https://accounts.google.com/o/oauth2/v2/auth", "https://oauth2.googleapis.com/token", "https://openidconnect.googleapis.com/v1/userinfo", "https://accounts.google.com", []string{"openid", "email", "profile"}, true, true},
	// learn.microsoft.com/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2
	"linkedin": {"https://www.linkedin.com/oauth/v2/authorization", "https://www.linkedin.com/oauth/v2/accessToken", "https://api.linkedin.com/v2/userinfo", "https://www.linkedin.com/oauth", []string{"openid", "profile", "email"}, true, false},
	// learn.microsoft.com/entra/identity-platform/v2-protocols-oidc
	"microsoft": {"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize", "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token", "https://graph.microsoft.com/oidc/userinfo", "https://login.microsoftonline.com/{tenant}/v2.0", []string{"openid", "profile", "email", "offline_access"}, true, true},
	// developers.notion.com/docs/authorization, reference/get-self
	"notion": {"https://api.notion.com/v1/oauth/authorize", "https://api.notion.com/v1/oauth/token", "https://api.notion.com/v1/users/me", "", nil, false, false},
	// openid.net/specs/openid-connect-discovery-1_0 (everything from Settings.Issuer)
	"oidc": {"", "", "", "", []string{"openid", "profile", "email"}, true, false},
	// developer.okta.com/docs/reference/api/oidc (default custom authorization server)
	"okta": {"{base}/oauth2/default/v1/authorize", "{base}/oauth2/default/v1/token", "{base}/oauth2/default/v1/userinfo", "{base}/oauth2/default", []string{"openid", "profile", "email", "offline_access"}, true, true},
	// developer.paypal.com/docs/log-in-with-paypal/integrate, api/identity/v1 userinfo
	"paypal":        {"https://www.paypal.com/signin/authorize", "https://api-m.paypal.com/v1/oauth2/token", "https://api-m.paypal.com/v1/identity/oauth2/userinfo?schema=paypalv1.1", "", []string{"openid", "profile", "email"}, false, false},
	"paypalSandbox": {"https://www.sandbox.paypal.com/signin/authorize", "https://api-m.sandbox.paypal.com/v1/oauth2/token", "https://api-m.sandbox.paypal.com/v1/identity/oauth2/userinfo?schema=paypalv1.1", "", []string{"openid", "profile", "email"}, false, false},
	// developers.podio.com/authentication/server_side, doc/users
	"podio": {"https://podio.com/oauth/authorize", "https://api.podio.com/oauth/token/v2", "https://api.podio.com/user", "", nil, false, false},
	// help.salesforce.com remoteaccess_oauth_web_server_flow, openid discovery endpoint
	"salesforce": {"https://login.salesforce.com/services/oauth2/authorize", "https://login.salesforce.com/services/oauth2/token", "https://login.salesforce.com/services/oauth2/userinfo", "https://login.salesforce.com", []string{"openid", "email", "profile"}, true, true},
	// api.slack.com/authentication/sign-in-with-slack
	"slack": {"https://slack.com/openid/connect/authorize", "https://slack.com/api/openid.connect.token", "https://slack.com/api/openid.connect.userInfo", "https://slack.com", []string{"openid", "email", "profile"}, true, false},
	// developer.spotify.com web-api code flow, get-current-users-profile
	"spotify": {"https://accounts.spotify.com/authorize", "https://accounts.spotify.com/api/token", "https://api.spotify.com/v1/me", "", []string{"user-read-email"}, false, true},
	// docs.stripe.com/connect/oauth-reference, api/accounts/retrieve
	"stripe": {"https://connect.stripe.com/oauth/authorize", "https://connect.stripe.com/oauth/token", "https://api.stripe.com/v1/account", "", []string{"read_write"}, false, false},
	// developers.tradeshift.com/docs/api
	"tradeshift":    {"https://api.tradeshift.com/tradeshift/auth/login", "https://api.tradeshift.com/tradeshift/auth/token", "https://api.tradeshift.com/tradeshift/rest/external/account/info/user", "", []string{"openid", "offline"}, false, false},
	"tradeshiftBox": {"https://api-sandbox.tradeshift.com/tradeshift/auth/login", "https://api-sandbox.tradeshift.com/tradeshift/auth/token", "https://api-sandbox.tradeshift.com/tradeshift/rest/external/account/info/user", "", []string{"openid", "offline"}, false, false},
	// dev.twitch.tv/docs/authentication/getting-tokens-oidc
	"twitch": {"https://id.twitch.tv/oauth2/authorize", "https://id.twitch.tv/oauth2/token", "https://id.twitch.tv/oauth2/userinfo", "https://id.twitch.tv/oauth2", []string{"openid", "user:read:email"}, true, false},
	// developer.wordpress.com/docs/oauth2, api/1/get/me
	"wordpress": {"https://public-api.wordpress.com/oauth2/authorize", "https://public-api.wordpress.com/oauth2/token", "https://public-api.wordpress.com/rest/v1/me", "", []string{"auth"}, false, false},
	// developer.yahoo.com/oauth2/guide/openid_connect
	"yahoo": {"https://api.login.yahoo.com/oauth2/request_auth", "https://api.login.yahoo.com/oauth2/get_token", "https://api.login.yahoo.com/openid/v1/userinfo", "https://api.login.yahoo.com", []string{"openid", "profile", "email"}, true, false},
	// learn.microsoft.com/rest/api/yammer oauth-2, users current.json
	"yammer": {"https://www.yammer.com/oauth2/authorize", "https://www.yammer.com/oauth2/access_token", "https://www.yammer.com/api/v1/users/current.json", "", nil, false, false},
	// yandex.com/dev/id/doc/en codes/code-url, user-information
	"yandex": {"https://oauth.yandex.com/authorize", "https://oauth.yandex.com/token", "https://login.yandex.ru/info?format=json", "", nil, false, true},
	// developers.zoom.us/docs/integrations/oauth, api users GET /users/{userId}
	"zoom": {"https://zoom.us/oauth/authorize", "https://zoom.us/oauth/token", "https://api.zoom.us/v2/users/me", "", nil, false, true},
}

func TestRegistry(t *testing.T) {
	if got, want := len(Names()), len(appwriteProviders); got != want {
		t.Errorf("Names() has %d providers, want %d: %v", got, want, Names())
	}
	if !slices.IsSorted(Names()) {
		t.Error("Names() not sorted")
	}
	for _, name := range appwriteProviders {
		p, ok := Lookup(name)
		if !ok {
			t.Errorf("%s: not registered", name)
			continue
		}
		w, ok := wantProviders[name]
		if !ok {
			t.Errorf("%s: no expected values in the test", name)
			continue
		}
		if p.Name != name || p.AuthURL != w.auth || p.TokenURL != w.token || p.UserURL != w.user || p.Issuer != w.issuer {
			t.Errorf("%s: endpoints = %q %q %q %q, want %q %q %q %q", name, p.AuthURL, p.TokenURL, p.UserURL, p.Issuer, w.auth, w.token, w.user, w.issuer)
		}
		if !slices.Equal(p.Scopes, w.scopes) {
			t.Errorf("%s: scopes = %q, want %q", name, p.Scopes, w.scopes)
		}
		if p.OIDC != w.oidc || p.PKCE != w.pkce {
			t.Errorf("%s: oidc, pkce = %v, %v; want %v, %v", name, p.OIDC, p.PKCE, w.oidc, w.pkce)
		}
		if len(p.Docs) == 0 {
			t.Errorf("%s: no documentation reference", name)
		}
		if !p.OIDC && p.user == nil {
			t.Errorf("%s: no user API reader", name)
		}
	}
	if _, ok := Lookup("GitHub"); ok {
		t.Error("lookup must be case-sensitive")
	}
	if p, _ := Lookup("apple"); !p.FormPost {
		t.Error("apple must use form_post")
	}
}

func TestNewClientResolvesTemplates(t *testing.T) {
	s := Settings{ClientID: "id", ClientSecret: "secret"}
	for _, tc := range []struct {
		name               string
		set                func(*Settings)
		auth, user, issuer string
	}{
		{"auth0", func(s *Settings) { s.Domain = "dev-x.us.auth0.com" }, "https://dev-x.us.auth0.com/authorize", "https://dev-x.us.auth0.com/userinfo", "https://dev-x.us.auth0.com/"},
		{"okta", func(s *Settings) { s.Domain = "https://dev-1.okta.com/" }, "https://dev-1.okta.com/oauth2/default/v1/authorize", "https://dev-1.okta.com/oauth2/default/v1/userinfo", "https://dev-1.okta.com/oauth2/default"},
		{"gitlab", func(s *Settings) {}, "https://gitlab.com/oauth/authorize", "https://gitlab.com/oauth/userinfo", "https://gitlab.com"},
		{"gitlab", func(s *Settings) { s.Domain = "https://git.example.com/sub" }, "https://git.example.com/sub/oauth/authorize", "https://git.example.com/sub/oauth/userinfo", "https://git.example.com/sub"},
		{"github", func(s *Settings) {}, "https://github.com/login/oauth/authorize", "https://api.github.com/user", ""},
		{"github", func(s *Settings) { s.Domain = "ghe.example.com" }, "https://ghe.example.com/login/oauth/authorize", "https://ghe.example.com/api/v3/user", ""},
		{"microsoft", func(s *Settings) {}, "https://login.microsoftonline.com/common/oauth2/v2.0/authorize", "https://graph.microsoft.com/oidc/userinfo", "https://login.microsoftonline.com/common/v2.0"},
		{"microsoft", func(s *Settings) { s.Tenant = "consumers" }, "https://login.microsoftonline.com/consumers/oauth2/v2.0/authorize", "https://graph.microsoft.com/oidc/userinfo", "https://login.microsoftonline.com/consumers/v2.0"},
		{"authentik", func(s *Settings) { s.Domain = "auth.example.com" }, "https://auth.example.com/application/o/authorize/", "https://auth.example.com/application/o/userinfo/", ""},
		{"authentik", func(s *Settings) {
			s.Domain = "auth.example.com"
			s.Issuer = "https://auth.example.com/application/o/app/"
		}, "", "", "https://auth.example.com/application/o/app/"},
	} {
		s := s
		tc.set(&s)
		c := mustClient(t, tc.name, s)
		if c.authURL != tc.auth || c.userURL != tc.user || c.issuer != tc.issuer {
			t.Errorf("%s %+v: auth, user, issuer = %q %q %q; want %q %q %q", tc.name, s, c.authURL, c.userURL, c.issuer, tc.auth, tc.user, tc.issuer)
		}
	}
}

func TestNewClientValidates(t *testing.T) {
	ok := Settings{ClientID: "id", ClientSecret: "secret"}
	for _, tc := range []struct {
		name string
		s    Settings
	}{
		{"github", Settings{ClientSecret: "secret"}},
		{"github", Settings{ClientID: "id"}},
		{"auth0", ok},     // domain required
		{"okta", ok},      // domain required
		{"authentik", ok}, // domain required
		{"oidc", ok},      // issuer required
		{"apple", Settings{ClientID: "id"}},
		{"apple", Settings{ClientID: "id", TeamID: "T", KeyID: "K", PrivateKeyPEM: "nope"}},
		{"microsoft", Settings{ClientID: "id", ClientSecret: "s", Tenant: "bad/tenant"}},
		{"oidc", Settings{ClientID: "id", ClientSecret: "s", Issuer: "not a url"}},
		{"gitlab", Settings{ClientID: "id", ClientSecret: "s", Domain: "ftp://x"}},
	} {
		p, _ := Lookup(tc.name)
		_, err := NewClient(context.Background(), p, tc.s, "https://app.example.com/cb", nil)
		if !errors.Is(err, ErrInvalidSettings) {
			t.Errorf("%s %+v: err = %v, want ErrInvalidSettings", tc.name, tc.s, err)
		}
	}
	p, _ := Lookup("github")
	if _, err := NewClient(context.Background(), p, ok, "/relative", nil); !errors.Is(err, ErrInvalidSettings) {
		t.Errorf("relative redirect URL: err = %v", err)
	}
	if _, err := NewClient(context.Background(), nil, ok, "https://app.example.com/cb", nil); !errors.Is(err, ErrInvalidSettings) {
		t.Errorf("nil provider: err = %v", err)
	}
	// Discovery is lazy: an unreachable issuer does not fail NewClient.
	mustClient(t, "oidc", Settings{ClientID: "id", ClientSecret: "s", Issuer: "http://127.0.0.1:1/none"})
}

func TestScopesDeduplicated(t *testing.T) {
	c := mustClient(t, "google", Settings{ClientID: "id", ClientSecret: "s", Scopes: []string{"email", " https://www.googleapis.com/auth/drive "}})
	got := c.Scopes([]string{"openid", "", "calendar", "calendar"})
	want := []string{"openid", "email", "profile", "https://www.googleapis.com/auth/drive", "calendar"}
	if !slices.Equal(got, want) {
		t.Errorf("Scopes = %q, want %q", got, want)
	}
	u, err := mustClient(t, "disqus", Settings{ClientID: "id", ClientSecret: "s"}).AuthCodeURL(context.Background(), "st", "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustQuery(t, u).Get("scope"); got != "read,email" {
		t.Errorf("disqus scope = %q, want comma-separated", got)
	}
}

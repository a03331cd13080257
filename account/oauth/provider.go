package oauth

import (
	"context"
	"errors"
	"sort"

	"golang.org/x/oauth2"
)

// Identity is what a provider says about the user.
type Identity struct {
	// ID is the provider's stable user id (the Appwrite session's
	// providerUid). Never empty in a successful Exchange.
	ID string
	// Email is the user's email address, "" when the provider gave none.
	Email string
	// Name is the display name, "" when unknown.
	Name string
	// EmailVerified is true only when the provider asserts that it verified
	// Email. Providers without such a notion always report false.
	EmailVerified bool
}

// Settings configure one provider for a project (from the Caddyfile).
type Settings struct {
	// ClientID and ClientSecret are the app id and secret registered with
	// the provider (Appwrite's <provider>Appid and <provider>Secret).
	ClientID, ClientSecret string
	// Scopes are extra default scopes, requested on every sign-in in
	// addition to the provider's own defaults.
	Scopes []string
	// Issuer is the issuer URL for the generic "oidc" provider (required).
	// For any other OpenID Connect provider it overrides the built-in
	// issuer; endpoints then come from its discovery document unless
	// AuthURL/TokenURL/UserURL are set too.
	Issuer string
	// Domain is the auth0 / okta / authentik domain (dev-x.us.auth0.com),
	// or the base URL of a self-hosted GitLab or GitHub Enterprise
	// (https://gitlab.example.com). A missing scheme means https.
	Domain string
	// Tenant is the Microsoft tenant: common (default), organizations,
	// consumers, a tenant id (GUID) or a tenant domain name.
	Tenant string
	// AuthURL, TokenURL and UserURL override the provider's endpoints
	// (UserURL is the user API, or the userinfo endpoint of an OpenID
	// Connect provider). Tests point them at loopback fakes.
	AuthURL, TokenURL, UserURL string
	// TeamID, KeyID and PrivateKeyPEM are Apple's: the client secret is a
	// JWT signed with the team's key (a .p8 file). When they are empty,
	// ClientSecret must hold a ready-made client-secret JWT.
	TeamID, KeyID, PrivateKeyPEM string
}

// Errors reported by this package. Use errors.Is.
var (
	// ErrInvalidSettings wraps every configuration error of NewClient.
	ErrInvalidSettings = errors.New("oauth: invalid provider settings")
	// ErrNoUserID means the provider identified nobody (Appwrite's
	// user_missing_id).
	ErrNoUserID = errors.New("oauth: the provider returned no user id")
	// ErrIDToken means an OpenID Connect ID token was missing or failed
	// verification (signature, issuer, audience, expiry or nonce).
	ErrIDToken = errors.New("oauth: invalid ID token")
)

// userFunc reads the user from a provider's user API.
type userFunc func(ctx context.Context, r *userRequest) (Identity, error)

// Provider is the static description of one OAuth2 provider. Values are
// shared: treat a *Provider as read-only.
//
// Endpoint and issuer templates may contain {base} (the Settings.Domain
// base URL, or DefaultBase) and {tenant} (the Microsoft tenant).
type Provider struct {
	// Name is the Appwrite provider key, e.g. "github" or "paypalSandbox".
	Name string
	// AuthURL and TokenURL are the authorization and token endpoints. They
	// may be empty for a provider whose endpoints come from discovery.
	AuthURL, TokenURL string
	// UserURL is the user API of a non-OIDC provider, or the userinfo
	// endpoint of an OIDC provider (used when the ID token has no email).
	UserURL string
	// OIDC is true when the identity comes from a verified ID token.
	OIDC bool
	// Issuer is the OpenID Connect issuer (and discovery base). Empty for
	// the generic provider, whose issuer is Settings.Issuer; an OIDC
	// provider with no issuer at all falls back to its userinfo endpoint.
	Issuer string
	// AltIssuers are further "iss" values that the provider is known to
	// put in its ID tokens (beside Issuer).
	AltIssuers []string
	// Scopes are the default scopes.
	Scopes []string
	// ScopeSeparator joins scopes in the authorize URL ("" means a space).
	ScopeSeparator string
	// PKCE is true when the provider documents PKCE (RFC 7636, S256).
	PKCE bool
	// FormPost is true when the provider calls back with an HTTP POST
	// (response_mode=form_post): the callback route must accept POST.
	FormPost bool
	// NonceOptional is true for an OIDC provider whose ID tokens may lack
	// the nonce claim; a nonce that is present must still match.
	NonceOptional bool
	// PublicClient is true when the token endpoint must not receive the
	// client secret (the secret is then only used for API calls).
	PublicClient bool
	// AuthStyle tells how the token endpoint wants the client credentials.
	AuthStyle oauth2.AuthStyle
	// AuthParams are fixed extra parameters of the authorize URL.
	AuthParams map[string]string
	// DefaultBase is {base} when Settings.Domain is empty; "" makes the
	// domain required.
	DefaultBase string
	// Docs lists the documentation pages the entry's values come from.
	Docs []string

	domainUserURL    string            // UserURL when Settings.Domain is set (GitHub Enterprise)
	authScheme       string            // Authorization scheme of the user API; "" = Bearer, "-" = none
	headers          map[string]string // fixed extra headers of the user API
	user             userFunc          // non-OIDC identity
	pkceFromDisco    bool              // generic oidc: PKCE when discovery advertises S256
	tenantIssuer     bool              // microsoft: multi-tenant issuer rules
	appleSecret      bool              // apple: client secret is a signed JWT
	jsonTokenRequest bool              // token endpoint wants a JSON body
	fixToken         func([]byte) []byte
}

var registry = map[string]*Provider{}

func register(ps ...*Provider) {
	for _, p := range ps {
		if _, dup := registry[p.Name]; dup {
			panic("oauth: provider registered twice: " + p.Name)
		}
		registry[p.Name] = p
	}
}

// Lookup returns the provider with the given Appwrite name (case-sensitive,
// e.g. "paypalSandbox"), or false.
func Lookup(name string) (*Provider, bool) {
	p, ok := registry[name]
	return p, ok
}

// Names returns the names of all providers, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

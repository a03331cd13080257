package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// DefaultTimeout bounds each request to a provider when NewClient gets no
// http.Client.
const DefaultTimeout = 20 * time.Second

// Client is a provider configured for a project. It is safe for concurrent
// use.
type Client struct {
	p           *Provider
	s           Settings
	redirectURL string
	hc          *http.Client // user API, discovery, JWKS
	tokenHC     *http.Client // token endpoint (hc, plus request/response fixes)

	authURL, tokenURL, userURL string // resolved static endpoints; "" = from discovery
	issuer                     string // OIDC issuer; "" = identity from the user API
	apple                      *appleSigner

	mu   sync.Mutex
	disc *discovery // lazily fetched OIDC discovery
}

var (
	tenantRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,127}$`)
	guidRE   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

func settingsErr(p *Provider, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidSettings, p.Name, fmt.Sprintf(format, args...))
}

// NewClient configures provider p for a project. RedirectURL is the
// callback URL registered with the provider; hc (nil: a client with
// DefaultTimeout) makes every request. It validates the settings; OIDC
// discovery is deferred to first use, so a provider that is down does not
// block start-up.
func NewClient(ctx context.Context, p *Provider, s Settings, redirectURL string, hc *http.Client) (*Client, error) {
	_ = ctx // reserved: construction makes no request
	if p == nil {
		return nil, fmt.Errorf("%w: nil provider", ErrInvalidSettings)
	}
	s.ClientID = strings.TrimSpace(s.ClientID)
	if s.ClientID == "" {
		return nil, settingsErr(p, "client id is required")
	}
	if u, err := url.Parse(redirectURL); err != nil || !u.IsAbs() || u.Host == "" {
		return nil, settingsErr(p, "redirect URL %q is not an absolute URL", redirectURL)
	}
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	c := &Client{p: p, s: s, redirectURL: redirectURL, hc: hc, tokenHC: hc}
	if p.fixToken != nil || p.jsonTokenRequest {
		c.tokenHC = tokenClient(hc, p)
	}

	if p.appleSecret && s.PrivateKeyPEM != "" {
		a, err := newAppleSigner(s)
		if err != nil {
			return nil, settingsErr(p, "%v", err)
		}
		c.apple = a
	} else if s.ClientSecret == "" {
		if p.appleSecret {
			return nil, settingsErr(p, "team id, key id and private key (or a client-secret JWT) are required")
		}
		return nil, settingsErr(p, "client secret is required")
	}

	base := p.DefaultBase
	if s.Domain != "" {
		b, err := normalizeBase(s.Domain)
		if err != nil {
			return nil, settingsErr(p, "%v", err)
		}
		base = b
	}
	tenant := strings.TrimSpace(s.Tenant)
	if tenant == "" {
		tenant = "common"
	}
	if !tenantRE.MatchString(tenant) {
		return nil, settingsErr(p, "invalid tenant %q", s.Tenant)
	}
	expand := func(what, tmpl string) (string, error) {
		if strings.Contains(tmpl, "{base}") && base == "" {
			return "", settingsErr(p, "domain is required (%s)", what)
		}
		return strings.NewReplacer("{base}", base, "{tenant}", tenant).Replace(tmpl), nil
	}

	// Issuer: explicit setting, else the provider's template.
	if p.OIDC {
		if s.Issuer != "" {
			iss, err := normalizeIssuer(s.Issuer)
			if err != nil {
				return nil, settingsErr(p, "%v", err)
			}
			c.issuer = iss
		} else if p.Issuer != "" {
			iss, err := expand("issuer", p.Issuer)
			if err != nil {
				return nil, err
			}
			c.issuer = iss
		} else if p.UserURL == "" {
			return nil, settingsErr(p, "issuer is required")
		}
	}
	// Endpoints: explicit setting, else (no issuer override) the template.
	// With an issuer override, unset endpoints come from discovery.
	fromTemplates := s.Issuer == "" || !p.OIDC
	for _, e := range []struct {
		dst          *string
		set, tmpl    string
		name         string
		domainAltURL string
	}{
		{&c.authURL, s.AuthURL, p.AuthURL, "authorize endpoint", ""},
		{&c.tokenURL, s.TokenURL, p.TokenURL, "token endpoint", ""},
		{&c.userURL, s.UserURL, p.UserURL, "user endpoint", p.domainUserURL},
	} {
		switch {
		case e.set != "":
			*e.dst = e.set
		case fromTemplates:
			tmpl := e.tmpl
			if s.Domain != "" && e.domainAltURL != "" {
				tmpl = e.domainAltURL
			}
			v, err := expand(e.name, tmpl)
			if err != nil {
				return nil, err
			}
			*e.dst = v
		}
	}
	if c.issuer == "" && (c.authURL == "" || c.tokenURL == "" || c.userURL == "") {
		return nil, settingsErr(p, "authorize, token and user endpoints are required")
	}
	return c, nil
}

// normalizeBase turns a domain or base URL into scheme://host[/path].
func normalizeBase(d string) (string, error) {
	d = strings.TrimSpace(d)
	if !strings.Contains(d, "://") {
		d = "https://" + d
	}
	u, err := url.Parse(d)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("invalid domain %q", d)
	}
	return u.Scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/"), nil
}

func normalizeIssuer(iss string) (string, error) {
	iss = strings.TrimSpace(iss)
	u, err := url.Parse(iss)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("invalid issuer URL %q", iss)
	}
	return iss, nil // kept verbatim: it must equal the tokens' "iss"
}

// Provider returns the provider this client was made for.
func (c *Client) Provider() *Provider { return c.p }

// FormPost reports whether the provider calls back with an HTTP POST
// (Apple), so the callback route must accept a form post.
func (c *Client) FormPost() bool { return c.p.FormPost }

// endpoints returns the authorize and token endpoints and whether PKCE is
// used, running discovery when needed.
func (c *Client) endpoints(ctx context.Context) (oauth2.Endpoint, bool, error) {
	ep := oauth2.Endpoint{AuthURL: c.authURL, TokenURL: c.tokenURL, AuthStyle: c.p.AuthStyle}
	pkce := c.p.PKCE
	if ep.AuthURL == "" || ep.TokenURL == "" || c.p.pkceFromDisco {
		d, err := c.discover(ctx)
		if err != nil {
			return ep, false, err
		}
		if ep.AuthURL == "" {
			ep.AuthURL = d.auth
		}
		if ep.TokenURL == "" {
			ep.TokenURL = d.token
		}
		if c.p.pkceFromDisco {
			pkce = d.pkce
		}
	}
	return ep, pkce, nil
}

// config returns the oauth2 configuration; withSecret signs Apple's
// client secret (not needed for the authorize URL).
func (c *Client) config(ctx context.Context, withSecret bool) (*oauth2.Config, bool, error) {
	ep, pkce, err := c.endpoints(ctx)
	if err != nil {
		return nil, false, err
	}
	cfg := &oauth2.Config{ClientID: c.s.ClientID, ClientSecret: c.s.ClientSecret, Endpoint: ep, RedirectURL: c.redirectURL}
	if c.apple != nil && withSecret {
		sec, err := c.apple.secret(time.Now())
		if err != nil {
			return nil, false, err
		}
		cfg.ClientSecret = sec
	}
	if c.p.PublicClient {
		cfg.ClientSecret = ""
		cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	return cfg, pkce, nil
}

// Scopes returns the provider's default scopes, the configured extra
// scopes and extra, without duplicates or empty entries.
func (c *Client) Scopes(extra []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, list := range [][]string{c.p.Scopes, c.s.Scopes, extra} {
		for _, s := range list {
			if s = strings.TrimSpace(s); s != "" && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// AuthCodeURL returns the provider's authorize URL. state is the caller's
// opaque (signed) state; nonce is sent to OpenID Connect providers and must
// be passed again to Exchange; pkceVerifier (from oauth2.GenerateVerifier)
// is sent as an S256 challenge when the provider supports PKCE and must be
// passed again to Exchange. scopes are added to the default scopes.
// For the generic provider, or with an issuer override, the first call
// runs OIDC discovery under ctx (the request's: a client that goes away
// stops it), bounded by the HTTP client's timeout.
func (c *Client) AuthCodeURL(ctx context.Context, state, nonce, pkceVerifier string, scopes []string) (string, error) {
	if state == "" {
		return "", errors.New("oauth: empty state")
	}
	cfg, pkce, err := c.config(ctx, false)
	if err != nil {
		return "", err
	}
	var opts []oauth2.AuthCodeOption
	if sc := c.Scopes(scopes); len(sc) > 0 {
		sep := c.p.ScopeSeparator
		if sep == "" {
			sep = " "
		}
		opts = append(opts, oauth2.SetAuthURLParam("scope", strings.Join(sc, sep)))
	}
	for k, v := range c.p.AuthParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	if pkce {
		if err := checkVerifier(pkceVerifier); err != nil {
			return "", err
		}
		opts = append(opts, oauth2.S256ChallengeOption(pkceVerifier))
	}
	if c.issuer != "" && nonce != "" {
		opts = append(opts, oidc.Nonce(nonce))
	}
	if c.p.FormPost {
		opts = append(opts, oauth2.SetAuthURLParam("response_mode", "form_post"))
	}
	return cfg.AuthCodeURL(state, opts...), nil
}

// checkVerifier enforces RFC 7636 §4.1: 43-128 unreserved characters.
func checkVerifier(v string) error {
	if len(v) < 43 || len(v) > 128 {
		return errors.New("oauth: PKCE verifier must have 43 to 128 characters")
	}
	for _, r := range v {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)) {
			return errors.New("oauth: PKCE verifier has an invalid character")
		}
	}
	return nil
}

// ExchangeOption changes one Exchange.
type ExchangeOption func(*exchangeOptions)

type exchangeOptions struct {
	appleName string
}

// Exchange swaps the authorization code for tokens and identifies the user.
// pkceVerifier and nonce must be those given to AuthCodeURL (they are
// ignored where the provider uses neither). For OIDC providers the ID token
// is verified (signature, issuer, audience, expiry, nonce) and the identity
// comes from its claims, completed from the userinfo endpoint when it has no
// email; for the others it comes from the provider's user API. A provider
// that names no user gives ErrNoUserID; a missing email is Email "".
func (c *Client) Exchange(ctx context.Context, code, pkceVerifier, nonce string, opts ...ExchangeOption) (*oauth2.Token, Identity, error) {
	var o exchangeOptions
	for _, f := range opts {
		f(&o)
	}
	if code == "" {
		return nil, Identity{}, errors.New("oauth: empty authorization code")
	}
	cfg, pkce, err := c.config(ctx, true)
	if err != nil {
		return nil, Identity{}, err
	}
	var eo []oauth2.AuthCodeOption
	if pkce {
		if err := checkVerifier(pkceVerifier); err != nil {
			return nil, Identity{}, err
		}
		eo = append(eo, oauth2.VerifierOption(pkceVerifier))
	}
	tok, err := cfg.Exchange(context.WithValue(ctx, oauth2.HTTPClient, c.tokenHC), code, eo...)
	if err != nil {
		return nil, Identity{}, fmt.Errorf("oauth: %s: code exchange: %w", c.p.Name, err)
	}
	var id Identity
	if c.issuer != "" {
		if id, err = c.oidcIdentity(ctx, tok, nonce); err != nil {
			return nil, Identity{}, err
		}
	} else {
		user := c.p.user
		if user == nil {
			user = userinfoUser
		}
		if id, err = user(ctx, &userRequest{c: c, tok: tok, url: c.userURL}); err != nil {
			return nil, Identity{}, fmt.Errorf("oauth: %s: %w", c.p.Name, err)
		}
	}
	if id.Name == "" && o.appleName != "" {
		id.Name = o.appleName
	}
	id.ID, id.Email, id.Name = strings.TrimSpace(id.ID), strings.TrimSpace(id.Email), strings.TrimSpace(id.Name)
	if id.ID == "" {
		return nil, Identity{}, fmt.Errorf("%w (%s)", ErrNoUserID, c.p.Name)
	}
	if id.Email == "" {
		id.EmailVerified = false
	}
	return tok, id, nil
}

// Refresh exchanges a refresh token for a new token. When the provider
// returns no new refresh token, the old one is kept in the result.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*oauth2.Token, error) {
	if refreshToken == "" {
		return nil, errors.New("oauth: empty refresh token")
	}
	cfg, _, err := c.config(ctx, true)
	if err != nil {
		return nil, err
	}
	tok, err := cfg.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, c.tokenHC), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, fmt.Errorf("oauth: %s: refresh: %w", c.p.Name, err)
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = refreshToken
	}
	return tok, nil
}

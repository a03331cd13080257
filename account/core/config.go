package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/accountgate/accountgate/account/mail"
	"github.com/accountgate/accountgate/account/oauth"
	"github.com/accountgate/accountgate/account/ratelimit"
	"github.com/accountgate/accountgate/account/sms"
)

// Version is sent as the `version` field of every error (part A item 34).
const Version = "accountgate-0.1.0"

// Config configures one project's Service. Zero values take the defaults
// named on each field.
type Config struct {
	// ProjectID is the Appwrite project id this service answers for; required.
	ProjectID string
	// Store persists users and sessions; required.
	Store Store
	// Secret signs tokens. Empty: a random one is generated and persisted
	// in the store, so restarts keep tokens valid.
	Secret []byte
	// PreviousSecrets still verify JWTs signed before a rotation.
	PreviousSecrets [][]byte
	// Platforms are the hosts allowed as Origin, in CORS and in redirect
	// URLs: exact names, "*" or "*.suffix".
	Platforms []string
	// PublicURL is the base of every link the service builds; required.
	PublicURL string
	// SessionDuration is the lifetime given to new sessions; default one year.
	SessionDuration time.Duration
	// MaxSessions per user; creating one more deletes the oldest. Default 10.
	MaxSessions int
	// Password sets the hashing cost and concurrency.
	Password PasswordConfig
	// PasswordHistory is how many previous passwords a user may not
	// reuse (0..20); default 0, off.
	PasswordHistory int
	// RevokeSessionsOnPasswordChange deletes a user's other sessions when
	// the password changes; default off, as Appwrite 1.3.
	RevokeSessionsOnPasswordChange bool
	// Disabled switches sign-in methods off; they then answer 501
	// user_auth_method_unsupported.
	Disabled map[AuthMethodName]bool
	// RateLimits adjusts the rate limits.
	RateLimits RateLimitConfig
	// RateLimiter counts requests; default LocalRateLimiter.
	RateLimiter ratelimit.Limiter
	// LocalRateLimiter counts in this process: alone when RateLimiter is
	// nil, and as the fallback while a shared RateLimiter is unreachable.
	// It also guards OAuth2 states against replay. Handing the same one
	// to the service of a new configuration keeps its counters across a
	// reload. Default: a new ratelimit.NewMemory(0).
	LocalRateLimiter *ratelimit.Memory
	// ProjectName names the project in mails; default the project id.
	ProjectName string
	// Mailer delivers mail; nil means mail is off and the routes that send
	// mail answer general_smtp_disabled.
	Mailer mail.Sender
	// MailTemplates renders the mails; default the built-in templates.
	MailTemplates *mail.Templates
	// SMS delivers text messages; nil means the phone routes answer
	// general_phone_disabled.
	SMS sms.Sender
	// OAuth2 holds the configured OAuth2 providers by name.
	OAuth2 map[string]OAuthProvider
	// Revocations fans sign-outs and user changes out to other instances
	// sharing the store; default none (one instance).
	Revocations Revocations
	// SharedCache is a verification cache shared with other instances;
	// default none.
	SharedCache SharedCache
	// Countries maps client IPs to countries for sessions and logs;
	// default none ("--").
	Countries CountryLookup
	// LogRetention is how long security-log entries are kept; default 90 days.
	LogRetention time.Duration
	// CookieDomain, if set, scopes the session cookie to a parent domain
	// (single sign-on across subdomains). Default: host-only.
	CookieDomain string
	// CacheSize bounds the session-verification cache; default 100000,
	// negative disables it.
	CacheSize int
	// CacheTTL is how long a verified session is trusted without reading
	// the store again; default 10s.
	CacheTTL time.Duration
	// PurgeInterval is how often expired sessions are deleted; default 10m.
	PurgeInterval time.Duration
	// Logger receives the service's logs; default slog.Default().
	Logger *slog.Logger
	// Observer is told of security events and timings, for the security
	// log and metrics; default none.
	Observer Observer
	// Now is the clock; default time.Now.
	Now func() time.Time
	// ClientIP returns the client address of a request, honouring the
	// trusted proxies of the server in front; default the remote address.
	ClientIP func(*http.Request) string
	// IsHTTPS reports whether the client connected over https; default
	// r.TLS != nil.
	IsHTTPS func(*http.Request) bool
	// APIKeys are the project's API keys for the Users API; default none
	// (the Users API then refuses every caller).
	APIKeys []APIKey
}

// Validate reports every problem of c's values at once, naming each
// option as configuration files spell it (public_url, max_sessions, …),
// so that an adapter can show the messages as they are. It does no I/O
// and needs no Store; New runs it and also requires the Store.
func (c *Config) Validate() error {
	var errs []error
	if !ValidKey(c.ProjectID) {
		errs = append(errs, fmt.Errorf("project id %q: %s", c.ProjectID, DescUID))
	}
	if c.PublicURL == "" {
		errs = append(errs, errors.New("public_url is required (the base of links sent to users)"))
	} else if err := CheckPublicURL(c.PublicURL); err != nil {
		errs = append(errs, err)
	}
	if len(c.Secret) > 0 && len(c.Secret) < 32 {
		errs = append(errs, errors.New("secret must be at least 32 characters"))
	}
	for _, s := range c.PreviousSecrets {
		if len(s) < 32 {
			errs = append(errs, errors.New("previous_secret must be at least 32 characters"))
		}
	}
	errs = append(errs, CheckAPIKeys(c.APIKeys)...)
	for _, p := range c.Platforms {
		if err := CheckPlatform(p); err != nil {
			errs = append(errs, err)
		}
	}
	for m := range c.Disabled {
		if !m.Valid() {
			errs = append(errs, fmt.Errorf("disable: unknown sign-in method %q (%s)", m, AuthMethodNameNames()))
		}
	}
	for name, n := range c.RateLimits.Limits {
		if _, ok := DefaultRateLimits()[name]; !ok || n < 0 {
			errs = append(errs, fmt.Errorf("rate_limit: unknown limit %q or negative value", name))
		}
	}
	if c.SessionDuration < 0 {
		errs = append(errs, errors.New("session_duration must not be negative"))
	}
	if c.MaxSessions < 0 || c.MaxSessions > 1000 {
		errs = append(errs, errors.New("max_sessions must be between 1 and 1000"))
	}
	if c.PasswordHistory < 0 || c.PasswordHistory > 20 {
		errs = append(errs, errors.New("password_history must be between 0 and 20"))
	}
	if c.Password.Memory != 0 && c.Password.Memory < 8*uint32(max(c.Password.Threads, 1)) {
		errs = append(errs, errors.New("password memory must be at least 8 KiB per thread"))
	}
	return errors.Join(errs...)
}

// CheckPublicURL reports whether u can be a public base URL: absolute
// http(s) with a host, no query or fragment.
func CheckPublicURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.RawQuery != "" || p.Fragment != "" {
		return fmt.Errorf("public URL %q must be an absolute http(s) URL without query or fragment", u)
	}
	return nil
}

// CheckPlatform reports whether p can be a platform entry: a host name,
// "*", or "*.suffix". A scheme, port or path would never match a request's
// host, so every request would be refused as from an unknown origin.
func CheckPlatform(p string) error {
	host := strings.TrimPrefix(p, "*.")
	switch {
	case p == "*":
		return nil
	case strings.Contains(p, "://"):
		return fmt.Errorf("platform %q: hosts only, without a scheme (e.g. %s)", p, hostOfPlatform(p))
	case host == "" || strings.ContainsAny(host, "/:?#@*[] \t"):
		return fmt.Errorf("platform %q: hosts only, without a scheme, port or path (e.g. app.example.com, localhost, *.example.com)", p)
	}
	return nil
}

// hostOfPlatform is the host of a platform entry that was written as a URL,
// for the error message.
func hostOfPlatform(p string) string {
	if u, err := url.Parse(p); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "app.example.com"
}

func (c *Config) SetDefaults() {
	if c.SessionDuration == 0 {
		c.SessionDuration = 365 * 24 * time.Hour
	}
	if c.MaxSessions == 0 {
		c.MaxSessions = 10
	}
	if c.CacheSize == 0 {
		c.CacheSize = 100000
	}
	if c.CacheTTL <= 0 {
		c.CacheTTL = 10 * time.Second
	}
	if c.LocalRateLimiter == nil {
		c.LocalRateLimiter = ratelimit.NewMemory(0)
	}
	if c.RateLimiter == nil {
		c.RateLimiter = c.LocalRateLimiter
	}
	if c.ProjectName == "" {
		c.ProjectName = c.ProjectID
	}
	if c.LogRetention <= 0 {
		c.LogRetention = 90 * 24 * time.Hour
	}
	if c.PurgeInterval <= 0 {
		c.PurgeInterval = 10 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Observer == nil {
		c.Observer = NopObserver{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ClientIP == nil {
		c.ClientIP = func(r *http.Request) string {
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			if err != nil {
				return r.RemoteAddr
			}
			return host
		}
	}
	if c.IsHTTPS == nil {
		c.IsHTTPS = func(r *http.Request) bool { return r.TLS != nil }
	}
}

// RateLimitConfig adjusts a project's limits.
type RateLimitConfig struct {
	// Off switches every limit off (for development and load tests).
	Off bool
	// Limits overrides the requests per hour of the named limits (see
	// DefaultRateLimits); 0 switches that limit off.
	Limits map[string]int
}

// DefaultRateLimits are the documented limits per hour, by name.
func DefaultRateLimits() map[string]int {
	return map[string]int{
		"account.create":      10,
		"sessions.email":      10,
		"sessions.anonymous":  50,
		"jwt.create":          100,
		"sessions.delete":     100,
		"sessions.delete_all": 100,
		"sessions.update":     10,
		"magic_url.create":    10,
		// Not in Appwrite: magic-URL mails per IP across all emails,
		// as for phone codes and recovery.
		"magic_url.create_ip":       10,
		"magic_url.update":          10,
		"phone.create":              10,
		"phone.create_ip":           10,
		"phone.update":              10,
		"recovery.create":           10,
		"recovery.create_ip":        10,
		"recovery.update":           10,
		"verification.create":       10,
		"verification.update":       10,
		"verification_phone.create": 10,
		"verification_phone.update": 10,
		// Token sign-in (today's SDKs): the mails and texts as Appwrite
		// limits them, per address and per IP; the secrets spent per user
		// as the 1.3 confirmations are (six-digit codes must not be
		// guessed from many IPs).
		"magic_url_token.create":    60,
		"magic_url_token.create_ip": 60,
		"email_token.create":        10,
		"email_token.create_ip":     10,
		"phone_token.create":        10,
		"phone_token.create_ip":     10,
		"sessions.token":            10,
		// MFA challenges per user: codes sent, and codes tried.
		"mfa_challenge.create": 10,
		"mfa_challenge.update": 10,
		"oauth2.create":        50,
		"oauth2.callback":      50,
		// Not in Appwrite: failed sign-ins per IP across all emails,
		// against credential stuffing.
		"signin.failures": 100,
	}
}

// CountryLookup maps an IP address to a lowercase ISO 3166 country code,
// "--" when unknown.
type CountryLookup interface {
	Country(ip string) string
}

// OAuthProvider is a provider configured for the project (account/oauth
// implements it).
type OAuthProvider interface {
	AuthCodeURL(ctx context.Context, state, nonce, pkceVerifier string, scopes []string) (string, error)
	Exchange(ctx context.Context, code, pkceVerifier, nonce string, opts ...oauth.ExchangeOption) (*oauth2.Token, oauth.Identity, error)
	Refresh(ctx context.Context, refreshToken string) (*oauth2.Token, error)
}

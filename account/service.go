package account

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/accountgate/accountgate/account/core"

	"github.com/accountgate/accountgate/account/mail"
	"github.com/accountgate/accountgate/account/outbox"
	"github.com/accountgate/accountgate/account/ratelimit"
	"github.com/accountgate/accountgate/account/seal"
	"github.com/accountgate/accountgate/account/sms"
	"github.com/accountgate/accountgate/account/verify"
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
	Password core.PasswordConfig
	// PasswordHistory is how many previous passwords a user may not
	// reuse (0..20); default 0, off.
	PasswordHistory int
	// RevokeSessionsOnPasswordChange deletes a user's other sessions when
	// the password changes; default off, as Appwrite 1.3.
	RevokeSessionsOnPasswordChange bool
	// Disabled switches sign-in methods off; they then answer 501
	// user_auth_method_unsupported.
	Disabled map[core.AuthMethodName]bool
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

// Service is one project's account system.
type Service struct {
	cfg       Config
	store     Store
	limiter   ratelimit.Limiter
	secret    []byte
	publicURL *url.URL
	hasher    *core.Hasher
	// verifier resolves credentials to principals, for the API and the
	// gate, and owns the verification cache.
	verifier  *verify.Verifier
	outbox    *outbox.Outbox
	tokenSeal *seal.Sealer
	totpSeal  *seal.Sealer
	cookies   cookieWriter
	log       *slog.Logger
	now       func() time.Time
	api       http.Handler
	// identity lists the renamed identity headers of the gates.
	identity verify.IdentityHeaders
	// apiKeys are the hashes and scopes of Config.APIKeys.
	apiKeys []apiKey
}

// New checks cfg, applies defaults and returns a ready service. It reads
// (or creates) the persisted project secret, so it needs the store.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.Join(errors.New("no store configured"), cfg.Validate())
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	pub, _ := url.Parse(cfg.PublicURL)
	s := &Service{
		cfg:       cfg,
		store:     cfg.Store,
		limiter:   cfg.RateLimiter,
		publicURL: pub,
		hasher:    core.NewHasher(cfg.Password),
		cookies:   cookieWriter{name: "a_session_" + strings.ToLower(cfg.ProjectID), domain: cfg.CookieDomain},
		log:       cfg.Logger.With("project", cfg.ProjectID),
		now:       cfg.Now,
	}
	if _, local := cfg.RateLimiter.(*ratelimit.Memory); !local {
		s.limiter = ratelimit.NewFallback(cfg.RateLimiter, cfg.LocalRateLimiter, ErrUnavailable, s.log)
	}
	s.hasher.OnWait = s.observeHashWait
	// Only the keys' hashes stay in memory.
	s.apiKeys, s.cfg.APIKeys = hashAPIKeys(cfg.APIKeys), nil
	s.secret = cfg.Secret
	if len(s.secret) == 0 {
		fresh := make([]byte, 32)
		rand.Read(fresh)
		stored, err := s.store.SettingOrInit(ctx, "project_secret", fresh)
		if err != nil {
			return nil, fmt.Errorf("loading the project secret: %w", err)
		}
		s.secret = stored
	}
	secrets := append([][]byte{s.secret}, cfg.PreviousSecrets...)
	s.verifier = verify.New(verify.Config{
		Store: s.store, Secrets: secrets, CookieName: s.cookies.name,
		CacheSize: cfg.CacheSize, CacheTTL: cfg.CacheTTL,
		SharedCache: cfg.SharedCache, Revocations: cfg.Revocations,
		Now: s.now, Log: s.log, OnCache: s.observeCache,
	})
	s.tokenSeal = seal.New("provider tokens v1", secrets...)
	s.totpSeal = seal.New("totp secrets v1", secrets...)
	s.outbox = outbox.New(outbox.Config{
		Store: s.store, Seal: seal.New("outbox v1", secrets...), Mailer: cfg.Mailer, SMS: cfg.SMS,
		NotFound: ErrNotFound, Now: s.now, NewID: core.NewID, Observe: s.observeDelivery, Log: s.log,
	})
	if s.cfg.MailTemplates == nil {
		t, err := mail.LoadTemplates("")
		if err != nil {
			return nil, fmt.Errorf("loading the built-in mail templates: %w", err)
		}
		s.cfg.MailTemplates = t
	}
	s.api = s.routes()
	return s, nil
}

// Validate reports every problem of c's values at once, naming each
// option as configuration files spell it (public_url, max_sessions, …),
// so that an adapter can show the messages as they are. It does no I/O
// and needs no Store; New runs it and also requires the Store.
func (c *Config) Validate() error {
	var errs []error
	if !core.ValidKey(c.ProjectID) {
		errs = append(errs, fmt.Errorf("project id %q: %s", c.ProjectID, core.DescUID))
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
	errs = append(errs, checkAPIKeys(c.APIKeys)...)
	for _, p := range c.Platforms {
		if err := CheckPlatform(p); err != nil {
			errs = append(errs, err)
		}
	}
	for m := range c.Disabled {
		if !m.Valid() {
			errs = append(errs, fmt.Errorf("disable: unknown sign-in method %q (%s)", m, core.AuthMethodNameNames()))
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

func (c *Config) setDefaults() {
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
		c.Observer = nopObserver{}
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

// ProjectID is the project this service answers for.
func (s *Service) ProjectID() string { return s.cfg.ProjectID }

// now returns the clock's time at millisecond precision in UTC, the
// precision of every stored and sent datetime.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// Run does the background work until ctx ends: delivering the outbox,
// receiving revocations and purging expired sessions, tokens and old log
// entries. It returns once all of it has stopped.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { s.outbox.Run(ctx) })
	if rv := s.cfg.Revocations; rv != nil {
		wg.Go(func() { rv.SubscribeRevocations(ctx, s.applyRevocation, s.resync) })
	}
	t := time.NewTicker(s.cfg.PurgeInterval)
	defer t.Stop()
	for {
		s.purge(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) purge(ctx context.Context) {
	now := s.clock()
	for _, job := range []struct {
		what string
		run  func() (int64, error)
	}{
		{"expired sessions", func() (int64, error) { return s.store.DeleteExpiredSessions(ctx, now) }},
		{"expired tokens", func() (int64, error) { return s.store.DeleteExpiredTokens(ctx, now) }},
		{"old security-log entries", func() (int64, error) { return s.store.DeleteLogsBefore(ctx, now.Add(-s.cfg.LogRetention)) }},
	} {
		n, err := job.run()
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("purging "+job.what, "error", err)
			}
			continue
		}
		if n > 0 {
			s.log.Info("purged "+job.what, "count", n)
		}
	}
}

// Sealer returns the project's sealer for purpose, e.g. "assertion keys
// v1": each purpose has its own key, and the previous project secrets
// still open what they sealed.
func (s *Service) Sealer(purpose string) *seal.Sealer {
	return seal.New(purpose, append([][]byte{s.secret}, s.cfg.PreviousSecrets...)...)
}

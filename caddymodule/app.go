package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/geoip"
	"github.com/accountgate/accountgate/account/mail"
	"github.com/accountgate/accountgate/store"
	"github.com/accountgate/accountgate/store/redis"
)

func init() {
	caddy.RegisterModule(App{})
}

// App is the `accountgate` app: the named projects that the account_api
// and account_gate handlers refer to.
type App struct {
	// Projects by id. The id is the Appwrite project id clients send.
	Projects map[string]*Project `json:"projects,omitempty"`

	slots    map[string]*projectSlot
	configs  map[string]core.Config // built by Provision, completed by Start
	ctx      caddy.Context
	services []*account.Service
	// stores are the projects' stores as opened, by project id.
	stores   map[string]core.Store
	acquired []StoreConfig
	caches   []string
	limiters []string
	// subs are the projects' revocation subscriptions, by project id.
	subs    map[string]*redis.Subscription
	geoDBs  []*geoip.DB
	ops     *opsSlots
	cancel  context.CancelFunc
	running *sync.WaitGroup
	logger  *zap.Logger
}

// Project configures one project.
type Project struct {
	// Store is where users and sessions live; required.
	Store StoreConfig `json:"store"`
	// Cache is shared by several instances (Redis). Default none: one
	// instance, in-process limits and cache.
	Cache *CacheConfig `json:"cache,omitempty"`
	// Secret signs tokens; may be a {env.NAME} placeholder. Default: a
	// random secret generated once and persisted in the store.
	Secret string `json:"secret,omitempty"`
	// Platforms are the hosts allowed as Origin, in CORS and in redirect
	// URLs ("*.example.com" matches subdomains). Default: none.
	Platforms []string `json:"platforms,omitempty"`
	// PublicURL is the base of every link built for users; required.
	PublicURL string `json:"public_url,omitempty"`
	// SessionDuration is the lifetime of new sessions. Default 1 year.
	SessionDuration caddy.Duration `json:"session_duration,omitempty"`
	// MaxSessions per user; one more deletes the oldest. Default 10.
	MaxSessions int `json:"max_sessions,omitempty"`
	// Password sets the argon2id cost. Default m=19456 KiB, t=2, p=1.
	Password *PasswordConfig `json:"password,omitempty"`
	// CookieDomain scopes the session cookie to a parent domain for
	// single sign-on across subdomains. Default: host-only.
	CookieDomain string `json:"cookie_domain,omitempty"`
	// CacheSize bounds the session-verification cache. Default 100000;
	// -1 disables it.
	CacheSize int `json:"cache_size,omitempty"`
	// CacheTTL is how long a verified session is trusted without reading
	// the store. Default 10s.
	CacheTTL caddy.Duration `json:"cache_ttl,omitempty"`
	// PreviousSecrets still verify JWTs signed before a secret rotation.
	PreviousSecrets []string `json:"previous_secrets,omitempty"`
	// PasswordHistory is how many previous passwords may not be reused
	// (0..20). Default 0.
	PasswordHistory int `json:"password_history,omitempty"`
	// RevokeSessionsOnPasswordChange deletes the user's other sessions
	// when the password changes. Default false.
	RevokeSessionsOnPasswordChange bool `json:"revoke_sessions_on_password_change,omitempty"`
	// Disable lists sign-in methods that are switched off: email-password,
	// anonymous, jwt, magic-url, phone, oauth2. Default none.
	Disable []string `json:"disable,omitempty"`
	// RateLimitsOff switches every rate limit off (development, load tests).
	RateLimitsOff bool `json:"rate_limits_off,omitempty"`
	// RateLimits overrides limits per hour by name (account.create,
	// sessions.email, …); 0 switches one off.
	RateLimits map[string]int `json:"rate_limits,omitempty"`
	// RateLimitKeys caps the counters the in-process limiter keeps (the
	// least recently used go first). Default 100000 (about 21 MiB).
	RateLimitKeys int `json:"rate_limit_keys,omitempty"`
	// LogRetention is how long security-log entries are kept. Default 90 days.
	LogRetention caddy.Duration `json:"log_retention,omitempty"`
	// ProjectName names the project in mails. Default: the project id.
	ProjectName string `json:"project_name,omitempty"`
	// Mailer sends mail (magic links, recovery, verification). Default
	// none: those routes answer general_smtp_disabled.
	Mailer *MailerConfig `json:"mailer,omitempty"`
	// SMS sends text messages (phone sign-in and verification). Default
	// none: those routes answer general_phone_disabled.
	SMS *SMSConfig `json:"sms,omitempty"`
	// OAuth2 configures the OAuth2 providers by name (github, google, …,
	// oidc). Default none.
	OAuth2 map[string]*OAuth2Config `json:"oauth2,omitempty"`
	// GeoIPDatabase is a MaxMind-format country database for the country
	// of sessions and logs. Default none.
	GeoIPDatabase string `json:"geoip_database,omitempty"`
	// LogEmails writes full email addresses into the security log
	// (logger accountgate.security). Default false: masked.
	LogEmails bool `json:"log_emails,omitempty"`
	// APIKeys are the project's API keys for the Users API, by name.
	// Default none: the Users API refuses every caller.
	APIKeys map[string]*APIKeyConfig `json:"api_keys,omitempty"`
	// Pages configures the hosted sign-in and account pages. Default: on,
	// under /auth/.
	Pages *PagesConfig `json:"pages,omitempty"`
}

// StoreConfig names a store: kind "sqlite" with a file path as DSN, or
// "postgres" with a PostgreSQL URL.
type StoreConfig struct {
	Kind string `json:"kind"`
	DSN  string `json:"dsn"`
	// PostgreSQL only: the schema holding the tables (default: the DSN's
	// search_path), the pool bounds and timeouts.
	Schema         string         `json:"schema,omitempty"`
	MaxConns       int            `json:"max_conns,omitempty"`
	MinConns       int            `json:"min_conns,omitempty"`
	ConnectTimeout caddy.Duration `json:"connect_timeout,omitempty"`
	QueryTimeout   caddy.Duration `json:"query_timeout,omitempty"`
}

// CacheConfig names the shared cache of several instances: kind "redis"
// with a redis://, rediss:// or redis-sentinel:// URL. It holds the rate
// limit counters, a shared verification cache and the revocation channel.
type CacheConfig struct {
	Kind string `json:"kind"`
	URL  string `json:"url"`
	// KeyPrefix starts every key; default "accountgate:<project>:".
	KeyPrefix string `json:"key_prefix,omitempty"`
	// SentinelMaster and SentinelAddrs select Redis Sentinel.
	SentinelMaster string   `json:"sentinel_master,omitempty"`
	SentinelAddrs  []string `json:"sentinel_addrs,omitempty"`
	// ClusterAddrs select Redis Cluster.
	ClusterAddrs []string `json:"cluster_addrs,omitempty"`
}

// PasswordConfig is the argon2id cost and the hashing concurrency bound.
type PasswordConfig struct {
	// MemoryKiB per hash. Default 19456.
	MemoryKiB uint32 `json:"memory_kib,omitempty"`
	// Iterations (time cost). Default 2.
	Iterations uint32 `json:"iterations,omitempty"`
	// Parallelism (threads). Default 1.
	Parallelism uint8 `json:"parallelism,omitempty"`
	// Concurrency bounds hashes running at once. Default: the CPU count.
	Concurrency int `json:"concurrency,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "accountgate", New: func() caddy.Module { return new(App) }}
}

// Provision resolves placeholders, opens the stores and builds a service
// per project. Its errors never carry a secret of the configuration.
func (a *App) Provision(ctx caddy.Context) error {
	return a.redact(a.provision(ctx))
}

func (a *App) provision(ctx caddy.Context) error {
	a.logger = ctx.Logger()
	res := newResolver()
	for _, id := range a.projectIDs() {
		p := a.Projects[id]
		if p == nil {
			continue
		}
		at := func(option string) string { return "project " + id + ": " + option }
		p.Secret = res.value(at("secret"), p.Secret)
		p.PublicURL = res.value(at("public_url"), p.PublicURL)
		p.Store.DSN = res.value(at("store "+p.Store.Kind), p.Store.DSN)
		if p.Cache != nil {
			p.Cache.URL = res.value(at("cache redis"), p.Cache.URL)
			if p.Cache.KeyPrefix == "" {
				p.Cache.KeyPrefix = "accountgate:" + id + ":"
			}
		}
		if p.Mailer != nil {
			p.Mailer.resolve(res, at("mailer"))
		}
		if p.SMS != nil {
			p.SMS.resolve(res, at("sms"))
		}
		for name, c := range p.OAuth2 {
			if c != nil {
				c.ClientID = res.value(at("oauth2 "+name), c.ClientID)
				c.ClientSecret = res.value(at("oauth2 "+name), c.ClientSecret)
			}
		}
		for i := range p.PreviousSecrets {
			p.PreviousSecrets[i] = res.value(at("previous_secret"), p.PreviousSecrets[i])
		}
		for name, k := range p.APIKeys {
			if k != nil {
				k.Key = res.value(at("api_key "+name), k.Key)
			}
		}
	}
	if err := res.err(); err != nil {
		return err
	}
	if err := a.validate(); err != nil {
		return err
	}
	// Provision reads files (mail templates, the GeoIP database, OAuth2
	// keys) but writes nothing: stores are opened by Start.
	a.ctx = ctx
	a.slots = make(map[string]*projectSlot, len(a.Projects))
	a.configs = make(map[string]core.Config, len(a.Projects))
	for _, id := range a.projectIDs() {
		p := a.Projects[id]
		cfg := p.serviceConfig(id)
		cfg.Logger = ctx.Slogger()
		// The in-process limiter (and OAuth2 replay guard) outlives
		// reloads; acquiring it does no I/O.
		cfg.LocalRateLimiter = acquireLimiter(id, p.RateLimitKeys)
		a.limiters = append(a.limiters, limiterKey(id, p.RateLimitKeys))
		if p.GeoIPDatabase != "" {
			db, err := geoip.Open(p.GeoIPDatabase)
			if err != nil {
				return fmt.Errorf("project %s: %w", id, err)
			}
			a.geoDBs = append(a.geoDBs, db)
			cfg.Countries = db
		}
		if err := p.delivery(&cfg, a.logger, id); err != nil {
			return fmt.Errorf("project %s: %w", id, err)
		}
		var err error
		if cfg.OAuth2, err = p.oauthClients(ctx, id); err != nil {
			return fmt.Errorf("project %s: %w", id, err)
		}
		a.configs[id] = cfg
		a.slots[id] = newProjectSlot(id)
		if a.slots[id].pages, err = p.hostedPages(id); err != nil {
			return pagesError(id, err)
		}
	}
	return nil
}

// startProject opens the project's store (migrating it, on first use) and
// shared cache, and builds its service.
func (a *App) startProject(id string) (*account.Service, error) {
	p, cfg := a.Projects[id], a.configs[id]
	st, err := acquireStore(a.ctx, p.Store)
	if err != nil {
		return nil, err
	}
	a.acquired = append(a.acquired, p.Store)
	cfg.Store = st
	if a.stores == nil {
		a.stores = map[string]core.Store{}
	}
	a.stores[id] = st
	if p.Cache != nil {
		rc, err := acquireCache(a.ctx, *p.Cache)
		if err != nil {
			return nil, err
		}
		a.caches = append(a.caches, cacheKey(*p.Cache))
		// The client outlives this configuration; the subscription,
		// with its own health, does not.
		sub := rc.NewSubscription()
		if a.subs == nil {
			a.subs = map[string]*redis.Subscription{}
		}
		a.subs[id] = sub
		cfg.RateLimiter, cfg.Revocations, cfg.SharedCache = rc, sub, rc
	}
	if err := a.instrument(id, p, st, &cfg); err != nil {
		return nil, err
	}
	return account.New(a.ctx, cfg)
}

// serviceConfig is the project's core.Config as far as it is known
// before Start: without store, logger, senders or OAuth2 clients.
func (p *Project) serviceConfig(id string) core.Config {
	cfg := core.Config{
		ProjectID:       id,
		Secret:          []byte(p.Secret),
		Platforms:       p.Platforms,
		PublicURL:       p.PublicURL,
		SessionDuration: time.Duration(p.SessionDuration),
		MaxSessions:     p.MaxSessions,
		CookieDomain:    p.CookieDomain,
		CacheSize:       p.CacheSize,
		CacheTTL:        time.Duration(p.CacheTTL),
		ClientIP:        clientIP,
		IsHTTPS:         isHTTPS,

		PasswordHistory:                p.PasswordHistory,
		RevokeSessionsOnPasswordChange: p.RevokeSessionsOnPasswordChange,
		RateLimits:                     core.RateLimitConfig{Off: p.RateLimitsOff, Limits: p.RateLimits},
		LogRetention:                   time.Duration(p.LogRetention),
		APIKeys:                        p.apiKeys(),
	}
	for _, s := range p.PreviousSecrets {
		cfg.PreviousSecrets = append(cfg.PreviousSecrets, []byte(s))
	}
	if len(p.Disable) > 0 {
		cfg.Disabled = map[core.AuthMethodName]bool{}
		for _, m := range p.Disable {
			cfg.Disabled[core.AuthMethodName(m)] = true
		}
	}
	if p.Password != nil {
		cfg.Password = core.PasswordConfig{Memory: p.Password.MemoryKiB, Time: p.Password.Iterations,
			Threads: p.Password.Parallelism, Concurrency: p.Password.Concurrency}
	}
	return cfg
}

// delivery sets up the project's mail and SMS senders.
func (p *Project) delivery(cfg *core.Config, logger *zap.Logger, id string) error {
	cfg.ProjectName = p.ProjectName
	if p.Mailer != nil {
		sender, err := p.Mailer.sender(logger, id)
		if err != nil {
			return err
		}
		cfg.Mailer = sender
		if p.Mailer.Templates != "" {
			t, err := mail.LoadTemplates(p.Mailer.Templates)
			if err != nil {
				return err
			}
			cfg.MailTemplates = t
		}
	}
	if p.SMS != nil {
		sender, err := p.SMS.sender(logger, id)
		if err != nil {
			return err
		}
		cfg.SMS = sender
	}
	return nil
}

// clientIP is Caddy's client IP, which honours the server's
// trusted_proxies (part A item 30).
func clientIP(r *http.Request) string {
	if ip, ok := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string); ok && ip != "" {
		return ip
	}
	return r.RemoteAddr
}

// isHTTPS trusts X-Forwarded-Proto only from one of Caddy's trusted
// proxies (part A item 29).
func isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	trusted, _ := caddyhttp.GetVar(r.Context(), caddyhttp.TrustedProxyVarKey).(bool)
	return trusted && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (a *App) projectIDs() []string {
	ids := make([]string, 0, len(a.Projects))
	for id := range a.Projects {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Validate reports every configuration problem at once. It does no I/O,
// and its errors never carry a secret of the configuration.
func (a *App) Validate() error {
	return a.redact(a.validate())
}

func (a *App) validate() error {
	var errs []error
	dsns := map[string]string{}
	for _, id := range a.projectIDs() {
		p := a.Projects[id]
		if p == nil {
			errs = append(errs, fmt.Errorf("project %s: empty configuration", id))
			continue
		}
		if err := p.validate(id); err != nil {
			errs = append(errs, fmt.Errorf("project %s: %w", id, err))
		}
		// Tables carry no project id, so two projects in one database
		// would see each other's users.
		key := storeKey(p.Store)
		if other, ok := dsns[key]; ok {
			errs = append(errs, fmt.Errorf("projects %s and %s use the same store %q; each project needs its own", other, id, store.RedactDSN(p.Store.DSN)))
		}
		dsns[key] = id
	}
	return errors.Join(errs...)
}

// validate checks what only the adapter knows (store, cache, delivery,
// OAuth2 settings, the limiter's cap) and leaves the service's own
// settings to core.Config.Validate.
func (p *Project) validate(id string) error {
	var errs []error
	switch p.Store.Kind {
	case "sqlite", "postgres":
		if p.Store.DSN == "" {
			errs = append(errs, fmt.Errorf("store %s needs a file path or URL", p.Store.Kind))
		}
	case "":
		errs = append(errs, errors.New("no store configured (e.g. store sqlite ./data/app.db)"))
	default:
		errs = append(errs, fmt.Errorf("unknown store kind %q (supported: sqlite, postgres)", p.Store.Kind))
	}
	if p.Cache != nil && (p.Cache.Kind != "redis" || (p.Cache.URL == "" && len(p.Cache.SentinelAddrs) == 0 && len(p.Cache.ClusterAddrs) == 0)) {
		errs = append(errs, errors.New("cache: only redis is supported, with a URL (cache redis redis://host:6379/0)"))
	}
	cfg := p.serviceConfig(id)
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if p.Secret == "" && p.Cache != nil {
		// Instances sharing a cache are several instances: each must sign
		// and seal with the one secret the operator keeps.
		errs = append(errs, errors.New("secret is required with a shared cache (several instances must share it; at least 32 characters)"))
	}
	if p.RateLimitKeys < 0 {
		errs = append(errs, errors.New("rate_limit_keys must not be negative"))
	}
	if err := p.Pages.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := p.validateOAuth2(); err != nil {
		errs = append(errs, err)
	}
	if p.Mailer != nil {
		if err := p.Mailer.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if p.SMS != nil {
		if err := p.SMS.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Start opens the stores, builds each project's service, hands it to the
// handlers and runs its background work until Stop.
func (a *App) Start() error {
	for _, id := range a.projectIDs() {
		svc, err := a.startProject(id)
		if err != nil {
			return a.redact(fmt.Errorf("project %s: %w", id, err))
		}
		a.services = append(a.services, svc)
		if slot := a.slots[id]; slot.wantsKeys() {
			if err := startKeys(a.ctx, slot.keys, a.stores[id], svc); err != nil {
				return a.redact(fmt.Errorf("project %s: assertion keys: %w", id, err))
			}
		}
		a.slots[id].set(svc)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	a.running = new(sync.WaitGroup)
	for _, svc := range a.services {
		a.running.Go(func() { svc.Run(ctx) })
	}
	for _, id := range a.projectIDs() {
		if slot := a.slots[id]; slot.wantsKeys() {
			a.running.Go(func() { slot.keys.Run(ctx) })
		}
	}
	return nil
}

// Stop ends the background work and waits for it: a delivery in progress
// finishes (bounded by its timeout), so that nothing of this
// configuration runs once Cleanup closes the stores.
func (a *App) Stop() error {
	if a.cancel != nil {
		a.cancel()
	}
	if a.running != nil {
		a.running.Wait()
	}
	return nil
}

// Cleanup releases the stores Provision acquired; safe after a partial
// Provision.
func (a *App) Cleanup() error {
	a.forgetOps()
	var errs []error
	for _, c := range a.acquired {
		if err := releaseStore(c); err != nil {
			errs = append(errs, err)
		}
	}
	a.acquired = nil
	for _, key := range a.caches {
		if _, err := caches.Delete(key); err != nil {
			errs = append(errs, err)
		}
	}
	a.caches = nil
	for _, key := range a.limiters {
		if _, err := limiters.Delete(key); err != nil {
			errs = append(errs, err)
		}
	}
	a.limiters = nil
	for _, db := range a.geoDBs {
		if err := db.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	a.geoDBs = nil
	return errors.Join(errs...)
}

// slot returns the place where the project's service appears at Start,
// for the handlers.
func (a *App) slot(id string) (*projectSlot, error) {
	slot, ok := a.slots[id]
	if !ok {
		known := a.projectIDs()
		return nil, fmt.Errorf("unknown accountgate project %q (configured: %s)", id, strings.Join(known, ", "))
	}
	return slot, nil
}

// appFrom loads the accountgate app for a handler's Provision.
func appFrom(ctx caddy.Context) (*App, error) {
	v, err := ctx.App("accountgate")
	if err != nil {
		return nil, fmt.Errorf("loading the accountgate app: %w", err)
	}
	return v.(*App), nil
}

var (
	_ caddy.App          = (*App)(nil)
	_ caddy.Provisioner  = (*App)(nil)
	_ caddy.Validator    = (*App)(nil)
	_ caddy.CleanerUpper = (*App)(nil)
)

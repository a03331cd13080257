package account

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/accountgate/accountgate/account/accountapi"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/domain"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/mfa"
	"github.com/accountgate/accountgate/account/usersapi"

	"github.com/accountgate/accountgate/account/mail"
	"github.com/accountgate/accountgate/account/outbox"
	"github.com/accountgate/accountgate/account/ratelimit"
	"github.com/accountgate/accountgate/account/seal"
	"github.com/accountgate/accountgate/account/verify"
)

// Service is one project's account system.
type Service struct {
	cfg       core.Config
	store     core.Store
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
	cookies   httpapi.CookieWriter
	log       *slog.Logger
	now       func() time.Time
	// API is the request pipeline serving the routes.
	*httpapi.API
	// Accounts are the operations the routes share.
	*domain.Accounts
	account *accountapi.Handlers
	mfa     *mfa.Handlers
	users   *usersapi.Handlers
	// identity lists the renamed identity headers of the gates.
	identity verify.IdentityHeaders
}

// New checks cfg, applies defaults and returns a ready service. It reads
// (or creates) the persisted project secret, so it needs the store.
func New(ctx context.Context, cfg core.Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.Join(errors.New("no store configured"), cfg.Validate())
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.SetDefaults()
	pub, _ := url.Parse(cfg.PublicURL)
	cookieName := "a_session_" + strings.ToLower(cfg.ProjectID)
	s := &Service{
		cfg:       cfg,
		store:     cfg.Store,
		limiter:   cfg.RateLimiter,
		publicURL: pub,
		hasher:    core.NewHasher(cfg.Password),
		log:       cfg.Logger.With("project", cfg.ProjectID),
		now:       cfg.Now,
	}
	if _, local := cfg.RateLimiter.(*ratelimit.Memory); !local {
		s.limiter = ratelimit.NewFallback(cfg.RateLimiter, cfg.LocalRateLimiter, core.ErrUnavailable, s.log)
	}
	s.hasher.OnWait = s.observeHashWait
	// Only the keys' hashes stay in memory.
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
		Store: s.store, Secrets: secrets, CookieName: cookieName,
		CacheSize: cfg.CacheSize, CacheTTL: cfg.CacheTTL,
		SharedCache: cfg.SharedCache, Revocations: cfg.Revocations,
		Now: s.now, Log: s.log, OnCache: s.observeCache,
	})
	s.tokenSeal = seal.New("provider tokens v1", secrets...)
	s.totpSeal = seal.New("totp secrets v1", secrets...)
	s.outbox = outbox.New(outbox.Config{
		Store: s.store, Seal: seal.New("outbox v1", secrets...), Mailer: cfg.Mailer, SMS: cfg.SMS,
		NotFound: core.ErrNotFound, Now: s.now, NewID: core.NewID, Observe: s.observeDelivery, Log: s.log,
	})
	if s.cfg.MailTemplates == nil {
		t, err := mail.LoadTemplates("")
		if err != nil {
			return nil, fmt.Errorf("loading the built-in mail templates: %w", err)
		}
		s.cfg.MailTemplates = t
	}
	s.API = httpapi.New(httpapi.Config{Project: &s.cfg, Verifier: s.verifier, Limiter: s.limiter,
		CookieName: cookieName, NoteAccess: func(ctx context.Context, p *verify.Principal) *verify.Principal {
			return s.NoteAccess(ctx, p) // s.Accounts is made below
		}})
	// Only the keys' hashes stay in memory.
	s.cfg.APIKeys = nil
	s.Accounts = domain.New(domain.Config{Project: &s.cfg, Verifier: s.verifier, Outbox: s.outbox,
		Hasher: s.hasher, TokenSeal: s.tokenSeal, API: s.API})
	env := domain.Env{API: s.API, Accounts: s.Accounts, Project: &s.cfg, Store: s.store, Verifier: s.verifier,
		Hasher: s.hasher, Outbox: s.outbox, Limiter: s.limiter, PublicURL: s.publicURL, Secret: s.secret,
		TOTPSeal: s.totpSeal, Log: s.log}
	s.account = accountapi.New(env)
	s.mfa = mfa.New(env)
	s.users = usersapi.New(env)
	s.Handle(s.routes()...)
	return s, nil
}

// ProjectID is the project this service answers for.
func (s *Service) ProjectID() string { return s.cfg.ProjectID }

// now returns the clock's time at millisecond precision in UTC, the
// precision of every stored and sent datetime.
func (s *Service) Clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// Run does the background work until ctx ends: delivering the outbox,
// receiving revocations and purging expired sessions, tokens and old log
// entries. It returns once all of it has stopped.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { s.outbox.Run(ctx) })
	if rv := s.cfg.Revocations; rv != nil {
		wg.Go(func() { rv.SubscribeRevocations(ctx, s.ApplyRevocation, s.Resync) })
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
	now := s.Clock()
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

// Users are the operators' actions on any user (the Users API's, without
// a caller), for the admin command.
func (s *Service) Users() *usersapi.Handlers { return s.users }

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
	"github.com/accountgate/accountgate/account/mail"
	"github.com/accountgate/accountgate/account/mfa"
	"github.com/accountgate/accountgate/account/oauthapi"
	"github.com/accountgate/accountgate/account/outbox"
	"github.com/accountgate/accountgate/account/passwordless"
	"github.com/accountgate/accountgate/account/ratelimit"
	"github.com/accountgate/accountgate/account/seal"
	"github.com/accountgate/accountgate/account/sessionsapi"
	"github.com/accountgate/accountgate/account/usersapi"
	"github.com/accountgate/accountgate/account/verify"
)

// Service is one project's account system: the composition root that
// builds the verifier, the pipeline, the shared operations and the three
// APIs from a Config, runs the background work, and answers the gate.
type Service struct {
	cfg      core.Config
	store    core.Store
	secret   []byte
	verifier *verify.Verifier
	outbox   *outbox.Outbox
	hasher   *core.Hasher
	api      *httpapi.API
	accounts *domain.Accounts
	mfa      *mfa.Factors
	users    *usersapi.Users
	log      *slog.Logger
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
	if cfg.MailTemplates == nil {
		t, err := mail.LoadTemplates("")
		if err != nil {
			return nil, fmt.Errorf("loading the built-in mail templates: %w", err)
		}
		cfg.MailTemplates = t
	}
	s := &Service{cfg: cfg, store: cfg.Store, log: cfg.Logger.With("project", cfg.ProjectID)}
	secret, err := projectSecret(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	s.secret = secret
	secrets := append([][]byte{secret}, cfg.PreviousSecrets...)
	limiter := cfg.RateLimiter
	if _, local := limiter.(*ratelimit.Memory); !local {
		limiter = ratelimit.NewFallback(cfg.RateLimiter, cfg.LocalRateLimiter, core.ErrUnavailable, s.log)
	}
	s.hasher = core.NewHasher(cfg.Password)
	s.hasher.OnWait = s.observeHashWait
	cookieName := "a_session_" + strings.ToLower(cfg.ProjectID)
	s.verifier = verify.New(verify.Config{
		Store: s.store, Secrets: secrets, CookieName: cookieName,
		CacheSize: cfg.CacheSize, CacheTTL: cfg.CacheTTL,
		SharedCache: cfg.SharedCache, Revocations: cfg.Revocations,
		Now: cfg.Now, Log: s.log, OnCache: s.observeCache,
	})
	s.outbox = outbox.New(outbox.Config{
		Store: s.store, Seal: seal.New("outbox v1", secrets...), Mailer: cfg.Mailer, SMS: cfg.SMS,
		NotFound: core.ErrNotFound, Now: cfg.Now, NewID: core.NewID, Observe: s.observeDelivery, Log: s.log,
	})
	s.api = httpapi.New(httpapi.Config{Project: &s.cfg, Verifier: s.verifier, Limiter: limiter,
		CookieName: cookieName, NoteAccess: func(ctx context.Context, p *verify.Principal) *verify.Principal {
			return s.accounts.NoteAccess(ctx, p) // s.accounts is made below
		}})
	// Only the keys' hashes stay in memory (in the pipeline).
	s.cfg.APIKeys = nil
	tokenSeal := seal.New("provider tokens v1", secrets...)
	s.accounts = domain.New(domain.Config{Project: &s.cfg, Verifier: s.verifier, Outbox: s.outbox,
		Hasher: s.hasher, TokenSeal: tokenSeal, API: s.api})
	pub, _ := url.Parse(cfg.PublicURL)
	env := domain.Env{API: s.api, Accounts: s.accounts, Project: &s.cfg, Store: s.store, Verifier: s.verifier,
		Hasher: s.hasher, Outbox: s.outbox, Limiter: limiter, PublicURL: pub, Secret: secret,
		TOTPSeal: seal.New("totp secrets v1", secrets...), Log: s.log}
	s.mfa = mfa.New(env)
	s.users = usersapi.New(env)
	// The routes of each package; no two match the same request
	// (TestRoutesDoNotOverlap), so their order does not matter.
	s.api.Handle(accountapi.New(env).Routes()...)
	s.api.Handle(sessionsapi.New(env).Routes()...)
	s.api.Handle(passwordless.New(env).Routes()...)
	s.api.Handle(oauthapi.New(env).Routes()...)
	s.api.Handle(s.mfa.Routes()...)
	s.api.Handle(httpapi.NotImplementedRoutes()...)
	s.api.Handle(s.users.Routes()...)
	return s, nil
}

// projectSecret is cfg.Secret, or else the secret persisted in the store
// (made from crypto/rand on first use), so restarts keep tokens valid.
func projectSecret(ctx context.Context, cfg *core.Config) ([]byte, error) {
	if len(cfg.Secret) > 0 {
		return cfg.Secret, nil
	}
	fresh := make([]byte, 32)
	rand.Read(fresh)
	stored, err := cfg.Store.SettingOrInit(ctx, "project_secret", fresh)
	if err != nil {
		return nil, fmt.Errorf("loading the project secret: %w", err)
	}
	return stored, nil
}

// ProjectID is the project this service answers for.
func (s *Service) ProjectID() string { return s.cfg.ProjectID }

// Run does the background work until ctx ends: delivering the outbox,
// receiving revocations and purging expired sessions, tokens and old log
// entries. It returns once all of it has stopped.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { s.outbox.Run(ctx) })
	if rv := s.cfg.Revocations; rv != nil {
		wg.Go(func() { rv.SubscribeRevocations(ctx, s.accounts.ApplyRevocation, s.accounts.Resync) })
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
	now := s.accounts.Clock()
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
func (s *Service) Users() *usersapi.Users { return s.users }

package caddymodule

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/assertion"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/pages"
	"github.com/accountgate/accountgate/account/verify"
)

// startWait bounds how long a request waits for its project's service.
const startWait = 10 * time.Second

// projectSlot is where a project's service appears once the app starts.
// Handlers are provisioned before that, and `caddy validate` provisions
// without starting: so it opens no store, runs no migration and stores no
// secret. A request that arrives between the HTTP server's start and the
// app's (Caddy starts apps in no set order) waits for the service.
type projectSlot struct {
	id    string
	svc   atomic.Pointer[account.Service]
	ready chan struct{}
	// pages are the project's hosted pages; nil when they are off.
	pages *pages.Pages

	mu      sync.Mutex
	headers []verify.HeaderNames // the gates' header names, for the service
	// keys are the project's assertion keys, loaded at start when a gate
	// sends assertions (issuers); account_api serves their JWKS.
	keys    *assertion.Keys
	issuers []*assertion.Issuer
}

func newProjectSlot(id string) *projectSlot {
	return &projectSlot{id: id, ready: make(chan struct{}), keys: assertion.NewKeys()}
}

// issuer returns a new assertion issuer for a gate of the project.
func (s *projectSlot) issuer(c *AssertionConfig) *assertion.Issuer {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := assertion.NewIssuer(s.keys, c.Audience, time.Duration(c.Lifetime), 0)
	s.issuers = append(s.issuers, i)
	return i
}

// wantsKeys reports whether a gate of the project sends assertions.
func (s *projectSlot) wantsKeys() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.issuers) > 0
}

// registerHeaders records the identity header names of a gate, so that
// the service strips them on every route (account_api included).
func (s *projectSlot) registerHeaders(h verify.HeaderNames) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.headers = append(s.headers, h)
}

// set hands the gates' header names to the started service and publishes
// it to the handlers.
func (s *projectSlot) set(svc *account.Service) {
	s.mu.Lock()
	for _, h := range s.headers {
		svc.RegisterIdentityHeaders(h)
	}
	issuers := s.issuers
	s.mu.Unlock()
	if len(issuers) > 0 {
		// A revoked session's assertions go; a rotation is loaded.
		svc.OnRevocation(func(r core.Revocation) {
			s.keys.OnRevocation(r)
			for _, i := range issuers {
				i.Forget(r)
			}
		}, func() {
			s.keys.Resync()
			for _, i := range issuers {
				i.Clear()
			}
		})
	}
	s.svc.Store(svc)
	close(s.ready)
}

// service returns the project's service, waiting for the app's start if
// needed; nil with a 503 error when it does not come.
func (s *projectSlot) service(r *http.Request) (*account.Service, *core.Error) {
	if svc := s.svc.Load(); svc != nil {
		return svc, nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), startWait)
	defer cancel()
	select {
	case <-s.ready:
		return s.svc.Load(), nil
	case <-ctx.Done():
		return nil, core.NewError(core.ErrGeneralServiceDisabled)
	}
}

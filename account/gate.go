package account

import (
	"context"
	"net/http"
	"strings"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/verify"
)

// GateCheck is the gate's decision for r (see verify.Verifier.Gate).
func (s *Service) GateCheck(r *http.Request) (*verify.Principal, *core.Error) {
	return s.verifier.Gate(r)
}

// StripCredentials removes the credentials the gate consumed (see
// verify.Verifier.StripCredentials).
func (s *Service) StripCredentials(hdr http.Header, p *verify.Principal) {
	s.verifier.StripCredentials(hdr, p)
}

// RegisterIdentityHeaders adds the names a gate sends the identity under
// to the names StripIdentity removes. Gates call it when they are set up.
func (s *Service) RegisterIdentityHeaders(h verify.HeaderNames) { s.identity.Register(h) }

// StripIdentity removes every client copy of an identity header from r
// (see verify.IdentityHeaders.Strip).
func (s *Service) StripIdentity(r *http.Request, extra verify.HeaderNames) {
	s.identity.Strip(r, extra)
}

// ReturnPath is the same-origin path of r to come back to after signing
// in. It is always a local path: a request path such as "//evil.example"
// would otherwise read as a host.
func ReturnPath(r *http.Request) string {
	p := r.URL.RequestURI()
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	return p
}

// GateRequireMFA refuses, for `require mfa`, a principal whose account
// has no second factor (see mfa.Factors.GateRequireMFA).
func (s *Service) GateRequireMFA(r *http.Request, p *verify.Principal) *core.Error {
	return s.mfa.GateRequireMFA(r, p)
}

// CheckGateOrigin refuses a cookie-authenticated write from a page that is
// not one of the project's (see httpapi.API.CheckGateOrigin).
func (s *Service) CheckGateOrigin(r *http.Request, p *verify.Principal) *core.Error {
	return s.api.CheckGateOrigin(r, p)
}

// Observe hands e to the configured observer. The gate's Caddy adapter
// calls it for the refusals it decides itself.
func (s *Service) Observe(ctx context.Context, e core.Event) { s.cfg.Observer.Observe(ctx, e) }

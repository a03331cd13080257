package account

import (
	"context"
	"net/http"
	"slices"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/verify"

	"github.com/accountgate/accountgate/account/httpapi"
)

// A session of an account with MFA on is half signed in until it has
// proved a second factor: it reaches only the routes that complete or
// end the sign-in (mfaOpenRoutes), and the gate refuses it. The verifier
// never caches such a session, so the store decides on every request;
// completing a challenge publishes a revocation so that no instance keeps
// serving it from a cache filled before MFA was turned on.

// renderSessionMFA is the session model with the factors proved after
// sign-in and when the last was.
func (s *Service) renderSessionMFA(ctx context.Context, sess *core.Session, current bool) (httpapi.SessionModel, error) {
	m := s.RenderSession(sess, current)
	extra, at, err := s.store.SessionFactors(ctx, sess.ID)
	if err != nil {
		return m, err
	}
	for _, f := range extra {
		if !slices.Contains(m.Factors, f) {
			m.Factors = append(m.Factors, f)
		}
	}
	m.MFAUpdatedAt = httpapi.FormatTime(at)
	return m, nil
}

// GateRequireMFA is the gate's `require mfa`: 403 user_mfa_required
// unless p's account has MFA on (a session that passed GateCheck then
// proved its second factor). The store is asked each time, so turning
// MFA off takes effect at once.
func (s *Service) GateRequireMFA(r *http.Request, p *verify.Principal) *core.Error {
	m, err := mfaOf(r.Context(), s.store, p.User.ID)
	if err != nil {
		s.log.Error("gate: reading the account's MFA state", "path", r.URL.Path, "error", err)
		return core.AsError(err)
	}
	if !m.Enabled {
		return core.NewError(core.ErrUserMFARequired)
	}
	return nil
}

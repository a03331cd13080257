package account

import (
	"context"
	"net/http"
	"slices"
	"strings"
)

// A session of an account with MFA on is half signed in until it has
// proved a second factor: it reaches only the routes that complete or
// end the sign-in (mfaOpenRoutes), and the gate refuses it. The verifier
// never caches such a session, so the store decides on every Request;
// completing a challenge publishes a revocation so that no instance keeps
// serving it from a cache filled before MFA was turned on.

// mfaOpenRoutes are the account routes a half-signed-in session reaches.
var mfaOpenRoutes = []string{
	"GET mfa/factors",
	"POST mfa/challenge",
	"PUT mfa/challenge",
	"POST mfa/challenges",
	"PUT mfa/challenges",
	"DELETE sessions/{sessionId}",
	"DELETE sessions",
}

// CheckMFA refuses a half-signed-in caller on the account routes not open
// to it.
func CheckMFA(p *Principal, rt *Route) error {
	if p == nil || !p.MFAPending || rt.scope != ScopeAccount {
		return nil
	}
	if slices.Contains(mfaOpenRoutes, rt.method+" "+strings.Join(rt.path, "/")) {
		return nil
	}
	return NewError(ErrUserMoreFactorsRequired)
}

// renderSessionMFA is the session model with the factors proved after
// sign-in and when the last was.
func (s *Service) renderSessionMFA(ctx context.Context, sess *Session, current bool) (SessionModel, error) {
	m := s.renderSession(sess, current)
	extra, at, err := s.store.SessionFactors(ctx, sess.ID)
	if err != nil {
		return m, err
	}
	for _, f := range extra {
		if !slices.Contains(m.Factors, f) {
			m.Factors = append(m.Factors, f)
		}
	}
	m.MFAUpdatedAt = FormatTime(at)
	return m, nil
}

// GateRequireMFA is the gate's `require mfa`: 403 user_mfa_required
// unless p's account has MFA on (a session that passed GateCheck then
// proved its second factor). The store is asked each time, so turning
// MFA off takes effect at once.
func (s *Service) GateRequireMFA(r *http.Request, p *Principal) *Error {
	m, err := mfaOf(r.Context(), s.store, p.User.ID)
	if err != nil {
		s.log.Error("gate: reading the account's MFA state", "path", r.URL.Path, "error", err)
		return AsError(err)
	}
	if !m.Enabled {
		return NewError(ErrUserMFARequired)
	}
	return nil
}

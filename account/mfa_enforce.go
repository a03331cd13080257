package account

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// A session of an account with MFA on is half signed in until it has
// proved a second factor: it reaches only the routes that complete or
// end the sign-in (mfaOpenRoutes), and the gate refuses it. Such a
// session is never cached (verified), so the store decides on every
// request; completing a challenge publishes a revocation so that no
// instance keeps serving it from a cache filled before MFA was turned on.

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

// checkMFA refuses a half-signed-in caller on the account routes not open
// to it.
func checkMFA(p *Principal, rt *route) error {
	if p == nil || !p.MFAPending || rt.scope != scopeAccount {
		return nil
	}
	if slices.Contains(mfaOpenRoutes, rt.method+" "+strings.Join(rt.path, "/")) {
		return nil
	}
	return NewError(ErrUserMoreFactorsRequired)
}

// signInFactors are the factors a sign-in with provider proved, without
// the markers that prove nothing more (oauth2, anonymous).
func signInFactors(provider string) []string {
	return slices.DeleteFunc(sessionFactors(provider), func(f string) bool { return f == "oauth2" || f == "anonymous" })
}

// mfaPending reports whether sess of u still needs a second factor: MFA
// is on and the session has proved fewer than two distinct factors.
func (s *Service) mfaPending(ctx context.Context, sess *Session) (bool, error) {
	m, err := mfaOf(ctx, s.store, sess.UserID)
	if err != nil || !m.Enabled {
		return false, err
	}
	extra, _, err := s.store.SessionFactors(ctx, sess.ID)
	if err != nil {
		return false, err
	}
	all := append(signInFactors(sess.Provider), extra...)
	slices.Sort(all)
	return len(slices.Compact(all)) < 2, nil
}

// verified is storeVerified for a credential just checked against the
// store, unless its session is half signed in: that one is returned
// uncached and marked.
func (s *Service) verified(ctx context.Context, key cacheKey, sess *Session, user *User, now, expiry time.Time, viaJWT bool) (*Principal, error) {
	pending, err := s.mfaPending(ctx, sess)
	if err != nil {
		return nil, fmt.Errorf("loading the session's factors: %w", err)
	}
	if pending {
		ref := refOf(sess)
		return &Principal{User: trimUser(user), Session: &ref, ViaJWT: viaJWT, MFAPending: true}, nil
	}
	return s.storeVerified(ctx, key, sess, user, now, expiry, viaJWT), nil
}

// renderSessionMFA is the session model with the factors proved after
// sign-in and when the last was.
func (s *Service) renderSessionMFA(ctx context.Context, sess *Session, current bool) (sessionModel, error) {
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
	m.MFAUpdatedAt = formatTime(at)
	return m, nil
}

// gateMFA is the gate's answer for a half-signed-in session: 401
// user_more_factors_required.
func gateMFA(p *Principal) *Error {
	if p.MFAPending {
		return NewError(ErrUserMoreFactorsRequired)
	}
	return nil
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

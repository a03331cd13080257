package mfa

import (
	"net/http"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/domain"
	"github.com/accountgate/accountgate/account/verify"
)

// A session of an account with MFA on is half signed in until it has
// proved a second factor: it reaches only the routes that complete or
// end the sign-in (mfaOpenRoutes), and the gate refuses it. The verifier
// never caches such a session, so the store decides on every request;
// completing a challenge publishes a revocation so that no instance keeps
// serving it from a cache filled before MFA was turned on.

// GateRequireMFA is the gate's `require mfa`: 403 user_mfa_required
// unless p's account has MFA on (a session that passed GateCheck then
// proved its second factor). The store is asked each time, so turning
// MFA off takes effect at once.
func (s *Factors) GateRequireMFA(r *http.Request, p *verify.Principal) *core.Error {
	m, err := domain.MFAOf(r.Context(), s.Store, p.User.ID)
	if err != nil {
		s.Log.Error("gate: reading the account's MFA state", "path", r.URL.Path, "error", err)
		return core.AsError(err)
	}
	if !m.Enabled {
		return core.NewError(core.ErrUserMFARequired)
	}
	return nil
}

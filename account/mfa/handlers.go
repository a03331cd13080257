// Package mfa serves multi-factor authentication: the account's factors
// (TOTP, email and SMS codes, recovery codes), the challenges that finish
// a sign-in, and the gate's `require mfa` check.
package mfa

import (
	"github.com/accountgate/accountgate/account/domain"
	"github.com/accountgate/accountgate/account/httpapi"
)

// Factors serve the MFA routes of one project.
type Factors struct{ domain.Env }

// New returns the MFA handlers over env.
func New(env domain.Env) *Factors { return &Factors{env} }

// Routes are the MFA routes under /v1/account.
func (s *Factors) Routes() []httpapi.Route {
	return append(s.factorRoutes(), s.challengeRoutes()...)
}

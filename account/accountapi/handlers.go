// Package accountapi serves the account itself (/v1/account): creating
// and reading it, profile and prefs, password, email and phone changes,
// verification, recovery, JWTs, linked identities and the security log.
// Sessions, passwordless sign-in, OAuth2 and MFA have packages of their
// own.
package accountapi

import (
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/domain"
	"github.com/accountgate/accountgate/account/httpapi"
)

// Account serves the account routes of one project.
type Account struct{ domain.Env }

// New returns the account routes over env.
func New(env domain.Env) *Account { return &Account{env} }

// Routes are the account routes under /v1/account.
func (s *Account) Routes() []httpapi.Route {
	return []httpapi.Route{
		httpapi.NewRoute("POST", "", httpapi.ScopePublic, s.createAccount).Limit("account.create", httpapi.ByIP).SignIn(core.MethodEmailPassword),
		httpapi.NewRoute("GET", "", httpapi.ScopeAccount, s.getAccount),
		httpapi.NewRoute("GET", "prefs", httpapi.ScopeAccount, s.getPrefs),
		httpapi.NewRoute("PATCH", "prefs", httpapi.ScopeAccount, s.updatePrefs),
		httpapi.NewRoute("PATCH", "name", httpapi.ScopeAccount, s.updateName),
		httpapi.NewRoute("PATCH", "password", httpapi.ScopeAccount, s.updatePassword),
		httpapi.NewRoute("PATCH", "email", httpapi.ScopeAccount, s.updateEmail),
		httpapi.NewRoute("PATCH", "phone", httpapi.ScopeAccount, s.updatePhone),
		httpapi.NewRoute("PATCH", "status", httpapi.ScopeAccount, s.updateStatus),
		httpapi.NewRoute("GET", "logs", httpapi.ScopeAccount, s.listLogs),
		httpapi.NewRoute("POST", "jwt", httpapi.ScopeAccount, s.createJWT).Limit("jwt.create", httpapi.ByUser).SignIn(core.MethodJWT),
		httpapi.NewRoute("POST", "recovery", httpapi.ScopePublic, s.createRecovery).Limit("recovery.create", httpapi.ByEmail).Limit("recovery.create_ip", httpapi.ByIP),
		httpapi.NewRoute("PUT", "recovery", httpapi.ScopePublic, s.updateRecovery).Limit("recovery.update", httpapi.ByParam("userId")),
		httpapi.NewRoute("POST", "verification", httpapi.ScopeAccount, s.createVerification).Limit("verification.create", httpapi.ByUser),
		httpapi.NewRoute("PUT", "verification", httpapi.ScopePublic, s.updateVerification).Limit("verification.update", httpapi.ByParam("userId")),
		httpapi.NewRoute("POST", "verification/phone", httpapi.ScopeAccount, s.createPhoneVerification).Limit("verification_phone.create", httpapi.ByUser),
		httpapi.NewRoute("PUT", "verification/phone", httpapi.ScopePublic, s.updatePhoneVerification).Limit("verification_phone.update", httpapi.ByParam("userId")),

		// Today's names (format 1.5 on) of the routes above, with the
		// same rules and the same rate-limit counters.
		httpapi.NewRoute("POST", "jwts", httpapi.ScopeAccount, s.createJWTs).Limit("jwt.create", httpapi.ByUser).SignIn(core.MethodJWT),
		httpapi.NewRoute("POST", "verifications/email", httpapi.ScopeAccount, s.createVerification).Limit("verification.create", httpapi.ByUser),
		httpapi.NewRoute("PUT", "verifications/email", httpapi.ScopePublic, s.updateVerification).Limit("verification.update", httpapi.ByParam("userId")),
		httpapi.NewRoute("POST", "verifications/phone", httpapi.ScopeAccount, s.createPhoneVerification).Limit("verification_phone.create", httpapi.ByUser),
		httpapi.NewRoute("PUT", "verifications/phone", httpapi.ScopePublic, s.updatePhoneVerification).Limit("verification_phone.update", httpapi.ByParam("userId")),
		httpapi.NewRoute("GET", "identities", httpapi.ScopeAccount, s.listIdentities),
		httpapi.NewRoute("DELETE", "identities/{identityId}", httpapi.ScopeAccount, s.deleteIdentity),
	}
}

// Package passwordless serves sign-in without a password: magic URLs,
// email codes and phone codes, as sessions (Appwrite 1.3's routes) or as
// tokens spent at POST /v1/account/sessions/token (today's SDKs).
package passwordless

import (
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/domain"
	"github.com/accountgate/accountgate/account/httpapi"
)

// SignIn serves the passwordless sign-in routes of one project.
type SignIn struct{ domain.Env }

// New returns the passwordless sign-in over env.
func New(env domain.Env) *SignIn { return &SignIn{env} }

// Routes are the passwordless sign-in routes under /v1/account.
func (s *SignIn) Routes() []httpapi.Route {
	return []httpapi.Route{
		httpapi.NewRoute("POST", "sessions/magic-url", httpapi.ScopePublic, s.createMagicURLSession).Limit("magic_url.create", httpapi.ByEmail).Limit("magic_url.create_ip", httpapi.ByIP).SignIn(core.MethodMagicURL),
		httpapi.NewRoute("PUT", "sessions/magic-url", httpapi.ScopePublic, s.updateMagicURLSession).Limit("magic_url.update", httpapi.ByParam("userId")).SignIn(core.MethodMagicURL),
		httpapi.NewRoute("POST", "sessions/phone", httpapi.ScopePublic, s.createPhoneSession).Limit("phone.create", httpapi.ByParam("phone")).Limit("phone.create_ip", httpapi.ByIP).SignIn(core.MethodPhone),
		httpapi.NewRoute("PUT", "sessions/phone", httpapi.ScopePublic, s.updatePhoneSession).Limit("phone.update", httpapi.ByParam("userId")).SignIn(core.MethodPhone),

		// Token sign-in (today's SDKs): the secret goes to POST
		// sessions/token, which checks each kind's method itself.
		httpapi.NewRoute("POST", "tokens/magic-url", httpapi.ScopePublic, s.createMagicURLToken).Limit("magic_url_token.create", httpapi.ByEmail).Limit("magic_url_token.create_ip", httpapi.ByIP).SignIn(core.MethodMagicURL),
		httpapi.NewRoute("POST", "tokens/email", httpapi.ScopePublic, s.createEmailToken).Limit("email_token.create", httpapi.ByEmail).Limit("email_token.create_ip", httpapi.ByIP).SignIn(core.MethodEmailOTP),
		httpapi.NewRoute("POST", "tokens/phone", httpapi.ScopePublic, s.createPhoneSession).Limit("phone_token.create", httpapi.ByParam("phone")).Limit("phone_token.create_ip", httpapi.ByIP).SignIn(core.MethodPhone),
		httpapi.NewRoute("POST", "sessions/token", httpapi.ScopePublic, s.createTokenSession).Limit("sessions.token", httpapi.ByParam("userId")),
	}
}

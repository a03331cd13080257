package accountapi

import (
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
)

// Routes are the Account API's routes under /v1/account (MFA aside).
func (s *Handlers) Routes() []httpapi.Route {
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
		httpapi.NewRoute("POST", "sessions/email", httpapi.ScopePublic, s.createEmailSession).Limit("sessions.email", httpapi.ByEmail).SignIn(core.MethodEmailPassword),
		httpapi.NewRoute("POST", "sessions", httpapi.ScopePublic, s.createEmailSession).Limit("sessions.email", httpapi.ByEmail).SignIn(core.MethodEmailPassword),
		httpapi.NewRoute("POST", "sessions/anonymous", httpapi.ScopePublic, s.createAnonymousSession).Limit("sessions.anonymous", httpapi.ByIP).SignIn(core.MethodAnonymous),
		httpapi.NewRoute("GET", "sessions", httpapi.ScopeAccount, s.listSessions),
		httpapi.NewRoute("DELETE", "sessions", httpapi.ScopeAccount, s.deleteAllSessions).Limit("sessions.delete_all", httpapi.ByIP),
		httpapi.NewRoute("GET", "sessions/{sessionId}", httpapi.ScopeAccount, s.getSession),
		httpapi.NewRoute("PATCH", "sessions/{sessionId}", httpapi.ScopeAccount, s.updateSession).Limit("sessions.update", httpapi.ByIP),
		httpapi.NewRoute("DELETE", "sessions/{sessionId}", httpapi.ScopeAccount, s.deleteSession).Limit("sessions.delete", httpapi.ByIP),

		httpapi.NewRoute("POST", "sessions/magic-url", httpapi.ScopePublic, s.createMagicURLSession).Limit("magic_url.create", httpapi.ByEmail).Limit("magic_url.create_ip", httpapi.ByIP).SignIn(core.MethodMagicURL),
		httpapi.NewRoute("PUT", "sessions/magic-url", httpapi.ScopePublic, s.updateMagicURLSession).Limit("magic_url.update", httpapi.ByParam("userId")).SignIn(core.MethodMagicURL),
		httpapi.NewRoute("POST", "sessions/phone", httpapi.ScopePublic, s.createPhoneSession).Limit("phone.create", httpapi.ByParam("phone")).Limit("phone.create_ip", httpapi.ByIP).SignIn(core.MethodPhone),
		httpapi.NewRoute("PUT", "sessions/phone", httpapi.ScopePublic, s.updatePhoneSession).Limit("phone.update", httpapi.ByParam("userId")).SignIn(core.MethodPhone),
		httpapi.NewRoute("POST", "recovery", httpapi.ScopePublic, s.createRecovery).Limit("recovery.create", httpapi.ByEmail).Limit("recovery.create_ip", httpapi.ByIP),
		httpapi.NewRoute("PUT", "recovery", httpapi.ScopePublic, s.updateRecovery).Limit("recovery.update", httpapi.ByParam("userId")),
		httpapi.NewRoute("POST", "verification", httpapi.ScopeAccount, s.createVerification).Limit("verification.create", httpapi.ByUser),
		httpapi.NewRoute("PUT", "verification", httpapi.ScopePublic, s.updateVerification).Limit("verification.update", httpapi.ByParam("userId")),
		httpapi.NewRoute("POST", "verification/phone", httpapi.ScopeAccount, s.createPhoneVerification).Limit("verification_phone.create", httpapi.ByUser),
		httpapi.NewRoute("PUT", "verification/phone", httpapi.ScopePublic, s.updatePhoneVerification).Limit("verification_phone.update", httpapi.ByParam("userId")),

		httpapi.NewRoute("GET", "sessions/oauth2/{provider}", httpapi.ScopePublic, s.createOAuth2Session).Limit("oauth2.create", httpapi.ByIP).SignIn(core.MethodOAuth2).Navigated(false),
		httpapi.NewRoute("GET", "sessions/oauth2/callback/{provider}/{projectId}", httpapi.ScopePublic, s.oauth2Callback).Limit("oauth2.callback", httpapi.ByIP).SignIn(core.MethodOAuth2).Navigated(false),
		httpapi.NewRoute("POST", "sessions/oauth2/callback/{provider}/{projectId}", httpapi.ScopePublic, s.oauth2Callback).Limit("oauth2.callback", httpapi.ByIP).SignIn(core.MethodOAuth2).Navigated(true),

		// Today's names (format 1.5 on) of the routes above, with the
		// same rules and the same rate-limit counters.
		httpapi.NewRoute("POST", "jwts", httpapi.ScopeAccount, s.createJWTs).Limit("jwt.create", httpapi.ByUser).SignIn(core.MethodJWT),
		httpapi.NewRoute("POST", "verifications/email", httpapi.ScopeAccount, s.createVerification).Limit("verification.create", httpapi.ByUser),
		httpapi.NewRoute("PUT", "verifications/email", httpapi.ScopePublic, s.updateVerification).Limit("verification.update", httpapi.ByParam("userId")),
		httpapi.NewRoute("POST", "verifications/phone", httpapi.ScopeAccount, s.createPhoneVerification).Limit("verification_phone.create", httpapi.ByUser),
		httpapi.NewRoute("PUT", "verifications/phone", httpapi.ScopePublic, s.updatePhoneVerification).Limit("verification_phone.update", httpapi.ByParam("userId")),
		httpapi.NewRoute("GET", "identities", httpapi.ScopeAccount, s.listIdentities),

		// Token sign-in (today's SDKs): the secret goes to POST
		// sessions/token, which checks each kind's method itself.
		httpapi.NewRoute("POST", "tokens/magic-url", httpapi.ScopePublic, s.createMagicURLToken).Limit("magic_url_token.create", httpapi.ByEmail).Limit("magic_url_token.create_ip", httpapi.ByIP).SignIn(core.MethodMagicURL),
		httpapi.NewRoute("POST", "tokens/email", httpapi.ScopePublic, s.createEmailToken).Limit("email_token.create", httpapi.ByEmail).Limit("email_token.create_ip", httpapi.ByIP).SignIn(core.MethodEmailOTP),
		httpapi.NewRoute("POST", "tokens/phone", httpapi.ScopePublic, s.createPhoneSession).Limit("phone_token.create", httpapi.ByParam("phone")).Limit("phone_token.create_ip", httpapi.ByIP).SignIn(core.MethodPhone),
		httpapi.NewRoute("POST", "sessions/token", httpapi.ScopePublic, s.createTokenSession).Limit("sessions.token", httpapi.ByParam("userId")),
		httpapi.NewRoute("GET", "tokens/oauth2/{provider}", httpapi.ScopePublic, s.createOAuth2Token).Limit("oauth2.create", httpapi.ByIP).SignIn(core.MethodOAuth2).Navigated(false),
		httpapi.NewRoute("DELETE", "identities/{identityId}", httpapi.ScopeAccount, s.deleteIdentity),
	}
}

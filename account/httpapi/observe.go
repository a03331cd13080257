package httpapi

import (
	"net/http"
	"strings"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/outbox"
)

// ObserveIn fills in what r says about the caller and hands e on.
func (a *API) ObserveIn(r *http.Request, e core.Event) {
	if e.IP == "" {
		e.IP = a.cfg.ClientIP(r)
	}
	if e.Path == "" {
		e.Path = r.URL.Path
	}
	a.cfg.Observer.Observe(r.Context(), e)
}

// MethodOfProvider maps a session provider to its sign-in method.
func MethodOfProvider(provider string) (method, oauthProvider string) {
	switch provider {
	case "email":
		return string(core.MethodEmailPassword), ""
	case "anonymous", "magic-url", "phone", core.ProviderServer:
		return provider, ""
	case "token": // an email code spent at POST /sessions/token
		return string(core.MethodEmailOTP), ""
	}
	return string(core.MethodOAuth2), provider
}

// ObserveSignIn reports a new session handed to the client (a successful
// sign-in) and, for an anonymous one, the account it created. An email
// session's provider id is the address signed in with.
func (a *API) ObserveSignIn(r *http.Request, sess *core.Session) {
	method, provider := MethodOfProvider(sess.Provider)
	e := core.Event{Kind: core.EventSignIn, Result: core.ResultSuccess, Method: method, Provider: provider,
		UserID: sess.UserID, SessionID: sess.ID}
	if sess.Provider == "email" {
		e.Email = sess.ProviderUID
	}
	a.ObserveIn(r, e)
	if sess.Provider == "anonymous" {
		a.ObserveIn(r, core.Event{Kind: core.EventSignUp, Result: core.ResultSuccess, Method: method, UserID: sess.UserID})
	}
}

// ObserveCreated reports an account created on the way to a sign-in (magic
// URL, phone, OAuth2), once its transaction committed (err nil).
func (a *API) ObserveCreated(r *Request, u *core.User, method core.AuthMethodName, provider string, err error) {
	if u == nil || err != nil {
		return
	}
	a.ObserveIn(r.Request, core.Event{Kind: core.EventSignUp, Result: core.ResultSuccess, Method: string(method), Provider: provider,
		UserID: u.ID, Email: u.Email})
}

// ObserveAudit turns the security-log entries the API writes into events.
// Sign-ins are reported by CreateSession, which knows the method.
func (a *API) ObserveAudit(r *Request, user *core.User, event string) {
	e := core.Event{UserID: user.ID, Email: user.Email, Result: core.ResultSuccess}
	switch {
	case event == "user.create":
		e.Kind, e.Method = core.EventSignUp, string(core.MethodEmailPassword)
	case event == "session.delete":
		e.Kind = core.EventSignOut
		if sid := r.PathValue("sessionId"); sid != "" && sid != "current" {
			e.SessionID = sid
		}
	case event == "user.update" && !user.Status:
		e.Kind = core.EventBlock
	case event == "recovery.create", event == "recovery.update":
		e.Kind, e.Channel, e.Stage = core.EventRecovery, outbox.ChannelEmail, stageOf(event)
	case event == "verification.create", event == "verification.update":
		e.Kind, e.Channel, e.Stage = core.EventVerification, channelOf(r), stageOf(event)
	default:
		return
	}
	a.ObserveIn(r.Request, e)
}

func stageOf(event string) string {
	if strings.HasSuffix(event, ".create") {
		return core.StageRequest
	}
	return core.StageComplete
}

// channelOf tells a phone verification from an email one by its path.
func channelOf(r *Request) string {
	if strings.HasSuffix(strings.TrimRight(r.URL.Path, "/"), "/phone") {
		return outbox.ChannelSMS
	}
	return outbox.ChannelEmail
}

// observeFailure reports a failed sign-in, recovery or verification
// completion: routes whose failures are security events.
func (a *API) observeFailure(r *Request, rt *Route, err error) {
	if err == nil || rt.browser {
		return
	}
	e := core.Event{Result: core.ResultFailure, Reason: string(core.AsError(err).Type)}
	path := strings.Join(rt.path, "/")
	switch {
	case rt.method == http.MethodPost && (path == "sessions/email" || path == "sessions"):
		e.Kind, e.Method = core.EventSignIn, string(core.MethodEmailPassword)
	case rt.method == http.MethodPost && path == "sessions/anonymous":
		e.Kind, e.Method = core.EventSignIn, string(core.MethodAnonymous)
	case rt.method == http.MethodPut && (path == "sessions/magic-url" || path == "sessions/phone"):
		e.Kind, e.Method = core.EventSignIn, string(rt.signIn)
	case rt.method == http.MethodPost && path == "sessions/token":
		// A secret that matched nothing names no method.
		e.Kind, e.Method = core.EventSignIn, "token"
	case rt.method == http.MethodPut && path == "recovery":
		e.Kind, e.Stage, e.Channel = core.EventRecovery, core.StageComplete, outbox.ChannelEmail
	case rt.method == http.MethodPut && path == "verification":
		e.Kind, e.Stage, e.Channel = core.EventVerification, core.StageComplete, outbox.ChannelEmail
	case rt.method == http.MethodPut && path == "verification/phone":
		e.Kind, e.Stage, e.Channel = core.EventVerification, core.StageComplete, outbox.ChannelSMS
	default:
		return
	}
	if v, ok, _ := r.Params.String("email", ""); ok {
		e.Email = core.NormalizeEmail(v)
	}
	if v, ok, _ := r.Params.String("userId", ""); ok && core.ValidKey(v) {
		e.UserID = v
	}
	a.ObserveIn(r.Request, e)
}

// ObserveOAuthFailure reports an OAuth2 callback that did not sign in.
func (a *API) ObserveOAuthFailure(r *Request, provider string, err error) {
	a.ObserveIn(r.Request, core.Event{Kind: core.EventSignIn, Result: core.ResultFailure, Method: string(core.MethodOAuth2),
		Provider: provider, Reason: string(core.AsError(err).Type)})
}

// ObserveRateLimited reports a refusal by the rate limit named limit.
func (a *API) ObserveRateLimited(r *Request, limit string) {
	e := core.Event{Kind: core.EventRateLimited, Result: core.ResultRefused, Limit: limit}
	if r.Principal != nil {
		e.UserID = r.Principal.User.ID
	}
	a.ObserveIn(r.Request, e)
}

// observeOriginRefused reports a write refused by the Origin check.
func (a *API) observeOriginRefused(r *http.Request) {
	a.ObserveIn(r, core.Event{Kind: core.EventOriginRefused, Result: core.ResultRefused, Reason: string(core.ErrGeneralUnknownOrigin)})
}

// ObserveJWT reports a minted JWT.
func (a *API) ObserveJWT(r *Request) {
	a.ObserveIn(r.Request, core.Event{Kind: core.EventJWTCreated, Result: core.ResultSuccess, Method: string(core.MethodJWT),
		UserID: r.Principal.User.ID, SessionID: r.Principal.Session.ID})
}

package account

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/accountgate/accountgate/account/core"

	"github.com/accountgate/accountgate/account/outbox"
)

// Observe hands e to the configured observer. The gate's Caddy adapter
// calls it for the refusals it decides itself.
func (s *Service) Observe(ctx context.Context, e core.Event) {
	s.cfg.Observer.Observe(ctx, e)
}

// observeIn fills in what r says about the caller and hands e on.
func (s *Service) ObserveIn(r *http.Request, e core.Event) {
	if e.IP == "" {
		e.IP = s.cfg.ClientIP(r)
	}
	if e.Path == "" {
		e.Path = r.URL.Path
	}
	s.cfg.Observer.Observe(r.Context(), e)
}

// MethodOfProvider maps a session provider to its sign-in method.
func MethodOfProvider(provider string) (method, oauthProvider string) {
	switch provider {
	case "email":
		return string(core.MethodEmailPassword), ""
	case "anonymous", "magic-url", "phone", providerServer:
		return provider, ""
	case "token": // an email code spent at POST /sessions/token
		return string(core.MethodEmailOTP), ""
	}
	return string(core.MethodOAuth2), provider
}

// observeSignIn reports a new session handed to the client (a successful
// sign-in) and, for an anonymous one, the account it created. An email
// session's provider id is the address signed in with.
func (s *Service) ObserveSignIn(r *http.Request, sess *Session) {
	method, provider := MethodOfProvider(sess.Provider)
	e := core.Event{Kind: core.EventSignIn, Result: core.ResultSuccess, Method: method, Provider: provider,
		UserID: sess.UserID, SessionID: sess.ID}
	if sess.Provider == "email" {
		e.Email = sess.ProviderUID
	}
	s.ObserveIn(r, e)
	if sess.Provider == "anonymous" {
		s.ObserveIn(r, core.Event{Kind: core.EventSignUp, Result: core.ResultSuccess, Method: method, UserID: sess.UserID})
	}
}

// observeCreated reports an account created on the way to a sign-in (magic
// URL, phone, OAuth2), once its transaction committed (err nil).
func (s *Service) ObserveCreated(r *Request, u *User, method core.AuthMethodName, provider string, err error) {
	if u == nil || err != nil {
		return
	}
	s.ObserveIn(r.Request, core.Event{Kind: core.EventSignUp, Result: core.ResultSuccess, Method: string(method), Provider: provider,
		UserID: u.ID, Email: u.Email})
}

// observeAudit turns the security-log entries the API writes into events.
// Sign-ins are reported by createSession, which knows the method.
func (s *Service) ObserveAudit(r *Request, user *User, event string) {
	e := core.Event{UserID: user.ID, Email: user.Email, Result: core.ResultSuccess}
	switch {
	case event == "user.create":
		e.Kind, e.Method = core.EventSignUp, string(core.MethodEmailPassword)
	case event == "session.delete":
		e.Kind = core.EventSignOut
		if sid := r.PathVars["sessionId"]; sid != "" && sid != "current" {
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
	s.ObserveIn(r.Request, e)
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
func (s *Service) observeFailure(r *Request, rt *Route, err error) {
	if err == nil || rt.browser {
		return
	}
	e := core.Event{Result: core.ResultFailure, Reason: string(AsError(err).Type)}
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
	s.ObserveIn(r.Request, e)
}

// observeOAuthFailure reports an OAuth2 callback that did not sign in.
func (s *Service) ObserveOAuthFailure(r *Request, provider string, err error) {
	s.ObserveIn(r.Request, core.Event{Kind: core.EventSignIn, Result: core.ResultFailure, Method: string(core.MethodOAuth2),
		Provider: provider, Reason: string(AsError(err).Type)})
}

// observeRateLimited reports a refusal by the rate limit named limit.
func (s *Service) observeRateLimited(r *Request, limit string) {
	e := core.Event{Kind: core.EventRateLimited, Result: core.ResultRefused, Limit: limit}
	if r.Principal != nil {
		e.UserID = r.Principal.User.ID
	}
	s.ObserveIn(r.Request, e)
}

// observeOriginRefused reports a write refused by the Origin check.
func (s *Service) observeOriginRefused(r *http.Request) {
	s.ObserveIn(r, core.Event{Kind: core.EventOriginRefused, Result: core.ResultRefused, Reason: string(ErrGeneralUnknownOrigin)})
}

// observeJWT reports a minted JWT.
func (s *Service) ObserveJWT(r *Request) {
	s.ObserveIn(r.Request, core.Event{Kind: core.EventJWTCreated, Result: core.ResultSuccess, Method: string(core.MethodJWT),
		UserID: r.Principal.User.ID, SessionID: r.Principal.Session.ID})
}

// observeDelivery reports one outbox attempt.
func (s *Service) observeDelivery(ctx context.Context, channel, result string) {
	s.cfg.Observer.Observe(ctx, core.Event{Kind: core.EventDelivery, Channel: channel, Result: result})
}

// observeCache reports a verification cache lookup.
func (s *Service) observeCache(ctx context.Context, result string) {
	s.cfg.Observer.Observe(ctx, core.Event{Kind: core.EventCacheLookup, Result: result})
}

// observeRevocation reports how long a published revocation took to
// arrive. Local revocations carry no time and are not reported.
func (s *Service) observeRevocation(r Revocation) {
	if r.SentAt == 0 {
		return
	}
	lag := max(0, s.now().Sub(time.UnixMilli(r.SentAt)))
	s.cfg.Observer.Observe(context.Background(), core.Event{Kind: core.EventRevocationLag, Duration: lag})
}

// observeHashWait reports how long a password hash waited for a slot.
func (s *Service) observeHashWait(wait time.Duration, busy bool) {
	e := core.Event{Kind: core.EventPasswordWait, Duration: wait}
	if busy {
		e.Result = "busy"
	}
	s.cfg.Observer.Observe(context.Background(), e)
}

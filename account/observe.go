package account

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/accountgate/accountgate/account/core"

	"github.com/accountgate/accountgate/account/outbox"
)

// EventKind names what an Event reports.
type EventKind string

// Security events: each is one line of the security log and a count in
// the metrics.
const (
	// EventSignUp: an account was created: by POST /v1/account, an
	// anonymous sign-in, or on the way to a magic URL, phone or OAuth2
	// sign-in (Method says which).
	EventSignUp EventKind = "sign_up"
	// EventSignIn: a sign-in succeeded or failed (Result, Method, Reason).
	EventSignIn EventKind = "sign_in"
	// EventSignOut: a user deleted one or all of their sessions.
	EventSignOut EventKind = "sign_out"
	// EventBlock: a user blocked their own account (PATCH status).
	EventBlock EventKind = "block"
	// EventRecovery: a recovery was requested or completed, or a
	// completion failed (Stage, Result).
	EventRecovery EventKind = "recovery"
	// EventVerification: a verification was requested or confirmed, or a
	// confirmation failed (Stage, Result, Channel email or sms).
	EventVerification EventKind = "verification"
	// EventJWTCreated: a JWT was minted for a session.
	EventJWTCreated EventKind = "jwt_created"
	// EventRateLimited: a request was refused by the rate limit Limit.
	EventRateLimited EventKind = "rate_limited"
	// EventOriginRefused: a browser write from a host that is not a
	// platform was refused (the CSRF defence).
	EventOriginRefused EventKind = "origin_refused"
	// EventGate: the gate let a request through or refused it (Result
	// allowed or refused, Reason).
	EventGate EventKind = "gate"
)

// Operational measurements: metrics only, never logged as security events.
const (
	// EventCacheLookup: a session or JWT verification looked in the
	// cache (Result local_hit, shared_hit or miss).
	EventCacheLookup EventKind = "cache_lookup"
	// EventDelivery: the outbox tried a message (Channel, Result sent,
	// failed or dropped).
	EventDelivery EventKind = "delivery"
	// EventPasswordWait: a password hash waited Duration for a slot;
	// Result "busy" when it gave up (general_server_busy).
	EventPasswordWait EventKind = "password_wait"
	// EventRevocationLag: a revocation arrived Duration after another
	// (or this) instance published it.
	EventRevocationLag EventKind = "revocation_lag"
)

// Results and stages carried by events.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
	ResultAllowed = "allowed"
	ResultRefused = "refused"
	StageRequest  = "requested"
	StageComplete = "completed"
)

// Gate refusal reasons (Event.Reason of EventGate).
const (
	ReasonUnauthenticated = "unauthenticated"
	ReasonBlocked         = "blocked"
	ReasonUnverifiedEmail = "unverified_email"
	ReasonUnverifiedPhone = "unverified_phone"
	// ReasonMoreFactors: a session that has not proved its second factor.
	ReasonMoreFactors = "more_factors_required"
	// ReasonMFARequired: `require mfa` and an account without MFA.
	ReasonMFARequired = "mfa_required"
	ReasonCSRF        = "csrf"
	ReasonPolicy      = "policy"
	ReasonError       = "error"
)

// Event is one observation. Fields that do not apply are empty. It
// carries no secret: never a password, token, session secret or cookie.
// Email is the address as the user gave it; observers decide how much of
// it to show.
type Event struct {
	Kind EventKind
	// Result is success/failure, allowed/refused, or a kind's own value.
	Result string
	// Method is the sign-in method (email-password, anonymous, magic-url,
	// phone, oauth2, jwt).
	Method string
	// Provider is the OAuth2 provider of an oauth2 sign-in.
	Provider string
	// Reason is the Appwrite error type of a failure, or a gate reason.
	Reason string
	// Stage is requested or completed, for recovery and verification.
	Stage string
	// Limit is the rate limit's name.
	Limit string
	// Channel is email or sms.
	Channel string
	UserID  string
	Email   string
	// SessionID is the session an event concerns (not its secret).
	SessionID string
	IP        string
	// Path is the request path, for refusals.
	Path     string
	Duration time.Duration
}

// Observer is told of security events and operational measurements, for
// logs and metrics. Calls happen on request paths: an Observer must be
// quick and must not block.
type Observer interface {
	Observe(ctx context.Context, e Event)
}

type nopObserver struct{}

func (nopObserver) Observe(context.Context, Event) {}

// Observe hands e to the configured observer. The gate's Caddy adapter
// calls it for the refusals it decides itself.
func (s *Service) Observe(ctx context.Context, e Event) {
	s.cfg.Observer.Observe(ctx, e)
}

// observeIn fills in what r says about the caller and hands e on.
func (s *Service) observeIn(r *http.Request, e Event) {
	if e.IP == "" {
		e.IP = s.cfg.ClientIP(r)
	}
	if e.Path == "" {
		e.Path = r.URL.Path
	}
	s.cfg.Observer.Observe(r.Context(), e)
}

// methodOfProvider maps a session provider to its sign-in method.
func methodOfProvider(provider string) (method, oauthProvider string) {
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
func (s *Service) observeSignIn(r *http.Request, sess *Session) {
	method, provider := methodOfProvider(sess.Provider)
	e := Event{Kind: EventSignIn, Result: ResultSuccess, Method: method, Provider: provider,
		UserID: sess.UserID, SessionID: sess.ID}
	if sess.Provider == "email" {
		e.Email = sess.ProviderUID
	}
	s.observeIn(r, e)
	if sess.Provider == "anonymous" {
		s.observeIn(r, Event{Kind: EventSignUp, Result: ResultSuccess, Method: method, UserID: sess.UserID})
	}
}

// observeCreated reports an account created on the way to a sign-in (magic
// URL, phone, OAuth2), once its transaction committed (err nil).
func (s *Service) observeCreated(r *request, u *User, method core.AuthMethodName, provider string, err error) {
	if u == nil || err != nil {
		return
	}
	s.observeIn(r.Request, Event{Kind: EventSignUp, Result: ResultSuccess, Method: string(method), Provider: provider,
		UserID: u.ID, Email: u.Email})
}

// observeAudit turns the security-log entries the API writes into events.
// Sign-ins are reported by createSession, which knows the method.
func (s *Service) observeAudit(r *request, user *User, event string) {
	e := Event{UserID: user.ID, Email: user.Email, Result: ResultSuccess}
	switch {
	case event == "user.create":
		e.Kind, e.Method = EventSignUp, string(core.MethodEmailPassword)
	case event == "session.delete":
		e.Kind = EventSignOut
		if sid := r.pathVars["sessionId"]; sid != "" && sid != "current" {
			e.SessionID = sid
		}
	case event == "user.update" && !user.Status:
		e.Kind = EventBlock
	case event == "recovery.create", event == "recovery.update":
		e.Kind, e.Channel, e.Stage = EventRecovery, outbox.ChannelEmail, stageOf(event)
	case event == "verification.create", event == "verification.update":
		e.Kind, e.Channel, e.Stage = EventVerification, channelOf(r), stageOf(event)
	default:
		return
	}
	s.observeIn(r.Request, e)
}

func stageOf(event string) string {
	if strings.HasSuffix(event, ".create") {
		return StageRequest
	}
	return StageComplete
}

// channelOf tells a phone verification from an email one by its path.
func channelOf(r *request) string {
	if strings.HasSuffix(strings.TrimRight(r.URL.Path, "/"), "/phone") {
		return outbox.ChannelSMS
	}
	return outbox.ChannelEmail
}

// observeFailure reports a failed sign-in, recovery or verification
// completion: routes whose failures are security events.
func (s *Service) observeFailure(r *request, rt *route, err error) {
	if err == nil || rt.browser {
		return
	}
	e := Event{Result: ResultFailure, Reason: string(AsError(err).Type)}
	path := strings.Join(rt.path, "/")
	switch {
	case rt.method == http.MethodPost && (path == "sessions/email" || path == "sessions"):
		e.Kind, e.Method = EventSignIn, string(core.MethodEmailPassword)
	case rt.method == http.MethodPost && path == "sessions/anonymous":
		e.Kind, e.Method = EventSignIn, string(core.MethodAnonymous)
	case rt.method == http.MethodPut && (path == "sessions/magic-url" || path == "sessions/phone"):
		e.Kind, e.Method = EventSignIn, string(rt.signIn)
	case rt.method == http.MethodPost && path == "sessions/token":
		// A secret that matched nothing names no method.
		e.Kind, e.Method = EventSignIn, "token"
	case rt.method == http.MethodPut && path == "recovery":
		e.Kind, e.Stage, e.Channel = EventRecovery, StageComplete, outbox.ChannelEmail
	case rt.method == http.MethodPut && path == "verification":
		e.Kind, e.Stage, e.Channel = EventVerification, StageComplete, outbox.ChannelEmail
	case rt.method == http.MethodPut && path == "verification/phone":
		e.Kind, e.Stage, e.Channel = EventVerification, StageComplete, outbox.ChannelSMS
	default:
		return
	}
	if v, ok, _ := r.params.stringParam("email", ""); ok {
		e.Email = core.NormalizeEmail(v)
	}
	if v, ok, _ := r.params.stringParam("userId", ""); ok && core.ValidKey(v) {
		e.UserID = v
	}
	s.observeIn(r.Request, e)
}

// observeOAuthFailure reports an OAuth2 callback that did not sign in.
func (s *Service) observeOAuthFailure(r *request, provider string, err error) {
	s.observeIn(r.Request, Event{Kind: EventSignIn, Result: ResultFailure, Method: string(core.MethodOAuth2),
		Provider: provider, Reason: string(AsError(err).Type)})
}

// observeRateLimited reports a refusal by the rate limit named limit.
func (s *Service) observeRateLimited(r *request, limit string) {
	e := Event{Kind: EventRateLimited, Result: ResultRefused, Limit: limit}
	if r.principal != nil {
		e.UserID = r.principal.User.ID
	}
	s.observeIn(r.Request, e)
}

// observeOriginRefused reports a write refused by the Origin check.
func (s *Service) observeOriginRefused(r *http.Request) {
	s.observeIn(r, Event{Kind: EventOriginRefused, Result: ResultRefused, Reason: string(ErrGeneralUnknownOrigin)})
}

// observeJWT reports a minted JWT.
func (s *Service) observeJWT(r *request) {
	s.observeIn(r.Request, Event{Kind: EventJWTCreated, Result: ResultSuccess, Method: string(core.MethodJWT),
		UserID: r.principal.User.ID, SessionID: r.principal.Session.ID})
}

// observeDelivery reports one outbox attempt.
func (s *Service) observeDelivery(ctx context.Context, channel, result string) {
	s.cfg.Observer.Observe(ctx, Event{Kind: EventDelivery, Channel: channel, Result: result})
}

// observeCache reports a verification cache lookup.
func (s *Service) observeCache(ctx context.Context, result string) {
	s.cfg.Observer.Observe(ctx, Event{Kind: EventCacheLookup, Result: result})
}

// observeRevocation reports how long a published revocation took to
// arrive. Local revocations carry no time and are not reported.
func (s *Service) observeRevocation(r Revocation) {
	if r.SentAt == 0 {
		return
	}
	lag := max(0, s.now().Sub(time.UnixMilli(r.SentAt)))
	s.cfg.Observer.Observe(context.Background(), Event{Kind: EventRevocationLag, Duration: lag})
}

// observeHashWait reports how long a password hash waited for a slot.
func (s *Service) observeHashWait(wait time.Duration, busy bool) {
	e := Event{Kind: EventPasswordWait, Duration: wait}
	if busy {
		e.Result = "busy"
	}
	s.cfg.Observer.Observe(context.Background(), e)
}

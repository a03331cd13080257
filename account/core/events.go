package core

import (
	"context"
	"time"
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

// NopObserver ignores every event.
type NopObserver struct{}

func (NopObserver) Observe(context.Context, Event) {}

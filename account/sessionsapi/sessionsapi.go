// Package sessionsapi serves the caller's sessions: sign-in by email and
// password or anonymously, and listing, reading, extending, refreshing
// (OAuth2 provider tokens) and ending sessions.
package sessionsapi

import (
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/domain"
	"github.com/accountgate/accountgate/account/httpapi"
)

// Sessions serves the session routes of one project.
type Sessions struct{ domain.Env }

// New returns the session routes over env.
func New(env domain.Env) *Sessions { return &Sessions{env} }

// Routes are the session routes under /v1/account.
func (s *Sessions) Routes() []httpapi.Route {
	return []httpapi.Route{
		httpapi.NewRoute("POST", "sessions/email", httpapi.ScopePublic, s.createEmailSession).Limit("sessions.email", httpapi.ByEmail).SignIn(core.MethodEmailPassword),
		httpapi.NewRoute("POST", "sessions", httpapi.ScopePublic, s.createEmailSession).Limit("sessions.email", httpapi.ByEmail).SignIn(core.MethodEmailPassword),
		httpapi.NewRoute("POST", "sessions/anonymous", httpapi.ScopePublic, s.createAnonymousSession).Limit("sessions.anonymous", httpapi.ByIP).SignIn(core.MethodAnonymous),
		httpapi.NewRoute("GET", "sessions", httpapi.ScopeAccount, s.listSessions),
		httpapi.NewRoute("DELETE", "sessions", httpapi.ScopeAccount, s.deleteAllSessions).Limit("sessions.delete_all", httpapi.ByIP),
		httpapi.NewRoute("GET", "sessions/{sessionId}", httpapi.ScopeAccount, s.getSession),
		httpapi.NewRoute("PATCH", "sessions/{sessionId}", httpapi.ScopeAccount, s.updateSession).Limit("sessions.update", httpapi.ByIP),
		httpapi.NewRoute("DELETE", "sessions/{sessionId}", httpapi.ScopeAccount, s.deleteSession).Limit("sessions.delete", httpapi.ByIP),
	}
}

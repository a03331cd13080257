// Package oauthapi serves sign-in with OAuth2 providers: the redirect to
// the provider, the callback (a session, or a token for today's SDKs),
// with the flow's state signed and bound to the browser that started it.
package oauthapi

import (
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/domain"
	"github.com/accountgate/accountgate/account/httpapi"
)

// OAuth2 serves the OAuth2 sign-in routes of one project.
type OAuth2 struct{ domain.Env }

// New returns the OAuth2 sign-in over env.
func New(env domain.Env) *OAuth2 { return &OAuth2{env} }

// Routes are the OAuth2 routes under /v1/account.
func (s *OAuth2) Routes() []httpapi.Route {
	return []httpapi.Route{
		httpapi.NewRoute("GET", "sessions/oauth2/{provider}", httpapi.ScopePublic, s.createOAuth2Session).Limit("oauth2.create", httpapi.ByIP).SignIn(core.MethodOAuth2).Navigated(false),
		httpapi.NewRoute("GET", "sessions/oauth2/callback/{provider}/{projectId}", httpapi.ScopePublic, s.oauth2Callback).Limit("oauth2.callback", httpapi.ByIP).SignIn(core.MethodOAuth2).Navigated(false),
		httpapi.NewRoute("POST", "sessions/oauth2/callback/{provider}/{projectId}", httpapi.ScopePublic, s.oauth2Callback).Limit("oauth2.callback", httpapi.ByIP).SignIn(core.MethodOAuth2).Navigated(true),
		httpapi.NewRoute("GET", "tokens/oauth2/{provider}", httpapi.ScopePublic, s.createOAuth2Token).Limit("oauth2.create", httpapi.ByIP).SignIn(core.MethodOAuth2).Navigated(false),
	}
}

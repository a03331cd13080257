package account

import (
	"net/http"

	"github.com/accountgate/accountgate/account/httpapi"
)

// APIHandler serves /v1/account and everything under it, writing Appwrite
// error objects itself for every failure, and the pages that Owns names.
func (s *Service) APIHandler() http.Handler { return s.API }

// routes lists the Account API, MFA and the Users API, in match order.
func (s *Service) routes() []httpapi.Route {
	routes := s.account.Routes()
	// Multi-factor authentication (issue 14), in mfa*.go.
	routes = append(routes, s.mfa.Routes()...)
	routes = append(routes, httpapi.NotImplementedRoutes()...)
	// The Users API, for servers holding an API key.
	routes = append(routes, s.users.Routes()...)
	return routes
}

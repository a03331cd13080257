package account

import "net/http"

// APIHandler serves /v1/account and /v1/users and everything under them,
// writing Appwrite error objects itself for every failure, and the pages
// that httpapi.Owns names.
func (s *Service) APIHandler() http.Handler { return s.api }

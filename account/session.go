package account

import (
	"net/http"

	"github.com/accountgate/accountgate/account/verify"
)

// Authenticate resolves the caller of r as the API does (see
// verify.Verifier.Authenticate).
func (s *Service) Authenticate(r *http.Request) (*verify.Principal, error) {
	return s.verifier.Authenticate(r)
}

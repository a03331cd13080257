package account

import "net/http"

// jwtModel is the Appwrite `jwt` model.
type jwtModel struct {
	JWT string `json:"jwt"`
}

// createJWT is POST /v1/account/jwt: a 15-minute token for the caller's
// current session. A caller who signed in with a JWT has no current
// session to issue one for.
func (s *Service) createJWT(w http.ResponseWriter, r *request) error {
	if r.principal.ViaJWT {
		return NewError(ErrUserSessionNotFound)
	}
	token, err := s.jwtKeys.sign(r.principal.User.ID, r.principal.Session.ID, s.now())
	if err != nil {
		return err
	}
	s.observeJWT(r)
	return writeJSON(w, http.StatusCreated, jwtModel{JWT: token})
}

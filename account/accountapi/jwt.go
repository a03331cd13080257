package accountapi

import (
	"net/http"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/verify"
)

// maxJWTDuration bounds the duration parameter of POST /jwts (seconds).
const maxJWTDuration = 3600

// jwtModel is the Appwrite `jwt` model.
type jwtModel struct {
	JWT string `json:"jwt"`
}

// createJWT is POST /v1/account/jwt: a 15-minute token for the caller's
// current session. A caller who signed in with a JWT has no current
// session to issue one for.
func (s *Account) createJWT(w http.ResponseWriter, r *httpapi.Request) error {
	if r.Principal.ViaJWT {
		return core.NewError(core.ErrUserSessionNotFound)
	}
	token, err := s.Verifier.SignJWT(r.Principal.User.ID, r.Principal.Session.ID, s.Project.Now(), verify.JWTLifetime)
	if err != nil {
		return err
	}
	s.ObserveJWT(r)
	return httpapi.WriteJSON(w, http.StatusCreated, jwtModel{JWT: token})
}

// createJWTs is POST /v1/account/jwts, today's name of /jwt: the token
// lives `duration` seconds (0 to 3600, default 900).
func (s *Account) createJWTs(w http.ResponseWriter, r *httpapi.Request) error {
	seconds, err := r.Params.Int("duration", int(verify.JWTLifetime/time.Second), 0, maxJWTDuration)
	if err != nil {
		return err
	}
	if r.Principal.ViaJWT {
		return core.NewError(core.ErrUserSessionNotFound)
	}
	token, err := s.Verifier.SignJWT(r.Principal.User.ID, r.Principal.Session.ID, s.Project.Now(), time.Duration(seconds)*time.Second)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, jwtModel{JWT: token})
}

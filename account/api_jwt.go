package account

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

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
func (s *Service) createJWT(w http.ResponseWriter, r *Request) error {
	if r.Principal.ViaJWT {
		return NewError(ErrUserSessionNotFound)
	}
	token, err := s.verifier.SignJWT(r.Principal.User.ID, r.Principal.Session.ID, s.now(), verify.JWTLifetime)
	if err != nil {
		return err
	}
	s.ObserveJWT(r)
	return WriteJSON(w, http.StatusCreated, jwtModel{JWT: token})
}

// createJWTs is POST /v1/account/jwts, today's name of /jwt: the token
// lives `duration` seconds (0 to 3600, default 900).
func (s *Service) createJWTs(w http.ResponseWriter, r *Request) error {
	seconds, err := r.Params.Int("duration", int(verify.JWTLifetime/time.Second), 0, maxJWTDuration)
	if err != nil {
		return err
	}
	if r.Principal.ViaJWT {
		return NewError(ErrUserSessionNotFound)
	}
	token, err := s.verifier.SignJWT(r.Principal.User.ID, r.Principal.Session.ID, s.now(), time.Duration(seconds)*time.Second)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusCreated, jwtModel{JWT: token})
}

// intParam reads an optional integer parameter in [lo, hi]: a JSON number
// (or a numeric string, as forms send) or def when absent. Out of range
// or not an integer is Appwrite's Range validator error.
func (p *Params) Int(name string, def, lo, hi int) (int, error) {
	bad := InvalidParam(name, "Value must be a valid range between "+groupThousands(lo)+" and "+groupThousands(hi))
	if !p.Has(name) {
		return def, nil
	}
	var raw string
	if p.json != nil {
		var n json.Number
		if err := json.Unmarshal(p.json[name], &n); err != nil {
			if err := json.Unmarshal(p.json[name], &raw); err != nil {
				return 0, bad
			}
		} else {
			raw = n.String()
		}
	} else {
		raw = p.form.Get(name)
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, bad
	}
	return n, nil
}

// groupThousands writes n with commas, as PHP's number_format does.
func groupThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

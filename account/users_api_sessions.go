package account

import "net/http"

// providerServer names a session a server created for a user through the
// Users API (Appwrite's SESSION_PROVIDER_SERVER).
const providerServer = "server"

// usersCreateSession is POST /v1/users/{userId}/sessions (Appwrite 1.5
// on): a session for the user, made by a server without the user's
// credentials. The response carries its secret, the cookie value, for the
// server to hand on; like any session it ends when the user is blocked
// or signed out.
func (s *Service) usersCreateSession(w http.ResponseWriter, r *request) error {
	u, err := s.pathUser(r)
	if err != nil {
		return err
	}
	sess, secret, err := s.createSession(r.Context(), newSessionInput{user: u, provider: providerServer, r: r.Request})
	if err != nil {
		return err
	}
	s.observeSignIn(r.Request, sess)
	s.adminAudit(r.Context(), u, "session.create")
	m := s.renderSession(sess, false)
	m.Secret = encodeSessionToken(u.ID, secret)
	return writeJSON(w, http.StatusCreated, m)
}

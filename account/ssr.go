package account

import (
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/verify"
)

// Server-side rendering (Appwrite 1.5 on): a back end holding an API key
// with the sessions.write scope signs users in through the Account API
// and gets each new session's secret back, to keep in its own cookie and
// send as X-Appwrite-Session (or as the a_session_<project> cookie the
// gate reads). Browsers and keys without the scope get "" as before.

// newSessionModel is the model of a session just created for the caller:
// current, with its secret when the caller is a server holding
// sessions.write. The secret is the cookie value, as Appwrite's
// Auth::encodeSession makes it.
func (s *Service) newSessionModel(r *httpapi.Request, sess *core.Session, secret string) httpapi.SessionModel {
	m := s.RenderSession(sess, true)
	if s.SessionSecretShown(r) {
		m.Secret = verify.EncodeToken(sess.UserID, secret)
	}
	return m
}

// sessionSecretShown reports whether the caller is a server that may see
// new session secrets: an API key holding sessions.write and no session
// (a key with a session is refused before any handler runs).
func (s *Service) SessionSecretShown(r *httpapi.Request) bool {
	return r.Principal == nil && s.APIKeyOf(r.Request).Has(core.ScopeSessionsWrite)
}

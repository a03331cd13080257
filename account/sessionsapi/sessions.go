package sessionsapi

import (
	"errors"
	"net/http"
	"slices"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/domain"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/oauth"
)

// createEmailSession is POST /v1/account/sessions/email (and its alias
// POST /v1/account/sessions).
func (s *Sessions) createEmailSession(w http.ResponseWriter, r *httpapi.Request) error {
	email, err := r.Params.Required("email", core.DescEmail)
	if err != nil {
		return err
	}
	if email = core.NormalizeEmail(email); !core.ValidEmail(email) {
		return core.InvalidParam("email", core.DescEmail)
	}
	password, err := r.Params.Password("password", core.DescPassword)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if over, err := s.SignInFailuresExceeded(r); err != nil || over {
		if err != nil {
			return err
		}
		s.ObserveRateLimited(r, "signin.failures")
		return core.Errorf(core.ErrGeneralRateLimitExceeded, "Too many failed sign-ins from this address. Please try again later.")
	}
	user, err := s.Store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		return err
	}
	// An unknown email and an account without a password are checked
	// against a dummy hash: same error, same time as a wrong password.
	encoded := ""
	if user != nil {
		encoded = user.PasswordHash
	}
	ok, rehash, err := s.Hasher.Verify(ctx, password, encoded)
	if err != nil {
		return err
	}
	if !ok || user == nil {
		s.CountSignInFailure(r)
		return core.NewError(core.ErrUserInvalidCredentials)
	}
	if !user.Status {
		return core.NewError(core.ErrUserBlocked)
	}
	if rehash {
		s.upgradeHash(r, user, password)
	}
	sess, secret, err := s.CreateSession(ctx, domain.NewSessionInput{User: user, Provider: "email", ProviderUID: email, R: r.Request})
	if err != nil {
		return err
	}
	s.Audit(r, user, "session.create")
	s.SetSessionCookies(w, r.Request, user.ID, secret, sess)
	return httpapi.WriteJSON(w, http.StatusCreated, s.NewSessionModel(r, sess, secret))
}

// upgradeHash re-hashes an imported or older-cost password at the
// configured cost after a successful sign-in. It writes the hash only, on
// the user re-read under its lock, and only if the hash is still the one
// verified: a block, a recovery or a password change that landed during
// the argon2 runs stands. A failure is only logged: the sign-in itself
// succeeded.
func (s *Sessions) upgradeHash(r *httpapi.Request, user *core.User, password string) {
	ctx := r.Context()
	hash, err := s.Hasher.Hash(ctx, password)
	if err != nil {
		s.Log.Warn("re-hashing password", "user", user.ID, "error", err)
		return
	}
	err = s.Store.WithTx(ctx, func(tx core.Store) error {
		u, err := tx.LockUser(ctx, user.ID)
		if err != nil || u.PasswordHash != user.PasswordHash {
			return err
		}
		// The history keeps the same password under its new hash.
		if n := len(u.PasswordHistory); n > 0 && u.PasswordHistory[n-1] == u.PasswordHash {
			u.PasswordHistory = slices.Clone(u.PasswordHistory)
			u.PasswordHistory[n-1] = hash
		}
		u.PasswordHash = hash
		return tx.UpdateUser(ctx, u)
	})
	if err != nil {
		s.Log.Warn("re-hashing password", "user", user.ID, "error", err)
	}
}

// listSessions is GET /v1/account/sessions.
func (s *Sessions) listSessions(w http.ResponseWriter, r *httpapi.Request) error {
	all, err := s.Store.UserSessions(r.Context(), r.Principal.User.ID)
	if err != nil {
		return err
	}
	out := httpapi.SessionListModel{Total: len(all), Sessions: make([]httpapi.SessionModel, 0, len(all))}
	for _, sess := range all {
		m, err := s.RenderSessionMFA(r.Context(), sess, r.IsCurrent(sess))
		if err != nil {
			return err
		}
		out.Sessions = append(out.Sessions, m)
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

// findSession resolves the {sessionId} path parameter among the caller's
// own sessions; "current" is the session the caller presented.
func (s *Sessions) findSession(r *httpapi.Request) (*core.Session, error) {
	id := r.PathValue("sessionId")
	if id == "current" {
		// A JWT caller presented no session secret: nothing is current.
		if r.Principal.ViaJWT {
			return nil, core.NewError(core.ErrUserSessionNotFound)
		}
		// The cached session is trimmed: read the whole record.
		id = r.Principal.Session.ID
	}
	if !core.ValidKey(id) {
		return nil, core.InvalidParam("sessionId", core.DescUID)
	}
	sess, err := s.Store.SessionByID(r.Context(), id)
	if errors.Is(err, core.ErrNotFound) || (err == nil && sess.UserID != r.Principal.User.ID) {
		return nil, core.NewError(core.ErrUserSessionNotFound)
	}
	return sess, err
}

// getSession is GET /v1/account/sessions/{sessionId}.
func (s *Sessions) getSession(w http.ResponseWriter, r *httpapi.Request) error {
	sess, err := s.findSession(r)
	if err != nil {
		return err
	}
	m, err := s.RenderSessionMFA(r.Context(), sess, r.IsCurrent(sess))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, m)
}

// deleteSession is DELETE /v1/account/sessions/{sessionId}.
func (s *Sessions) deleteSession(w http.ResponseWriter, r *httpapi.Request) error {
	sess, err := s.findSession(r)
	if err != nil {
		return err
	}
	if err := s.DeleteSessions(r.Context(), sess); err != nil {
		return err
	}
	s.Audit(r, r.Principal.User, "session.delete")
	if r.IsCurrent(sess) {
		s.ClearSessionCookies(w, r.Request)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteAllSessions is DELETE /v1/account/sessions: every session of the
// caller, the current one included.
func (s *Sessions) deleteAllSessions(w http.ResponseWriter, r *httpapi.Request) error {
	all, err := s.Store.UserSessions(r.Context(), r.Principal.User.ID)
	if err != nil {
		return err
	}
	if err := s.DeleteSessions(r.Context(), all...); err != nil {
		return err
	}
	s.Audit(r, r.Principal.User, "session.delete")
	s.ClearSessionCookies(w, r.Request)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// createAnonymousSession is POST /v1/account/sessions/anonymous: a new
// user without email or password, signed in.
func (s *Sessions) createAnonymousSession(w http.ResponseWriter, r *httpapi.Request) error {
	if r.Principal != nil {
		return core.NewError(core.ErrUserSessionAlreadyExists)
	}
	now := s.Clock()
	user := &core.User{ID: core.NewID(now), CreatedAt: now, UpdatedAt: now, Registration: now, Status: true}
	if err := s.Store.CreateUser(r.Context(), user); err != nil {
		if errors.Is(err, core.ErrConflict) {
			return core.NewError(core.ErrUserAlreadyExists)
		}
		return err
	}
	sess, secret, err := s.CreateSession(r.Context(), domain.NewSessionInput{User: user, Provider: "anonymous", R: r.Request})
	if err != nil {
		return err
	}
	s.Audit(r, user, "session.create")
	s.SetSessionCookies(w, r.Request, user.ID, secret, sess)
	return httpapi.WriteJSON(w, http.StatusCreated, s.NewSessionModel(r, sess, secret))
}

// updateSession is PATCH /v1/account/sessions/{sessionId}. In the 1.3
// and 1.4 formats it only refreshes an OAuth2 session's provider tokens;
// from 1.5 on it extends any session (extendSession).
func (s *Sessions) updateSession(w http.ResponseWriter, r *httpapi.Request) error {
	sess, err := s.findSession(r)
	if err != nil {
		return err
	}
	_, isOAuth := oauth.Lookup(sess.Provider)
	if r.Format >= httpapi.Format15 {
		return s.extendSession(w, r, sess, isOAuth)
	}
	if isOAuth {
		return s.refreshOAuthSession(w, r, sess)
	}
	return httpapi.ArgumentError("Session %s was created by %q sign-in; only OAuth2 sessions can be refreshed.", sess.ID, sess.Provider)
}

// extendSession gives a session a full lifetime again from now, after
// refreshing an OAuth2 session's provider tokens. The caller's own
// cookies follow the new expiry.
func (s *Sessions) extendSession(w http.ResponseWriter, r *httpapi.Request, sess *core.Session, isOAuth bool) error {
	if isOAuth {
		refreshed, err := s.RefreshProviderTokens(r.Context(), sess)
		if err != nil {
			return err
		}
		sess = refreshed
	}
	now := s.Clock()
	updated := *sess
	updated.Expire, updated.UpdatedAt = now.Add(s.Project.SessionDuration), now
	if err := s.Store.ExtendSession(r.Context(), sess.ID, updated.Expire, now); err != nil {
		if errors.Is(err, core.ErrNotFound) {
			return core.NewError(core.ErrUserSessionNotFound)
		}
		return err
	}
	// Cached copies carry the old expiry.
	s.Revoke(r.Context(), core.Revocation{SessionID: sess.ID, UserID: sess.UserID})
	s.Audit(r, r.Principal.User, "session.update")
	current := r.IsCurrent(sess)
	if tok, ok := s.Verifier.Credential(r.Request); ok && current {
		s.SetSessionCookies(w, r.Request, tok.ID, tok.Secret, &updated)
	}
	return httpapi.WriteJSON(w, http.StatusOK, s.RenderSession(&updated, current))
}

// refreshOAuthSession is PATCH /v1/account/sessions/{id} for an OAuth2
// session: new provider tokens from the refresh token.
func (s *Sessions) refreshOAuthSession(w http.ResponseWriter, r *httpapi.Request, sess *core.Session) error {
	updated, err := s.RefreshProviderTokens(r.Context(), sess)
	if err != nil {
		return err
	}
	s.Audit(r, r.Principal.User, "session.update")
	return httpapi.WriteJSON(w, http.StatusOK, s.RenderSession(updated, r.IsCurrent(sess)))
}

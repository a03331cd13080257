package domain

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/verify"
)

// MFAOf is the user's MFA state through st; a user without one gets the
// all-off state.
func MFAOf(ctx context.Context, st core.Store, userID string) (*core.MFAState, error) {
	m, err := st.MFAOf(ctx, userID)
	if errors.Is(err, core.ErrNotFound) {
		return &core.MFAState{UserID: userID}, nil
	}
	return m, err
}

// RenderAccountMFA is the account model with its `mfa` switch read.
func (a *Accounts) RenderAccountMFA(ctx context.Context, u *core.User) (httpapi.AccountModel, error) {
	m, err := MFAOf(ctx, a.store, u.ID)
	if err != nil {
		return httpapi.AccountModel{}, err
	}
	model := httpapi.RenderAccount(u)
	model.MFA = m.Enabled
	return model, nil
}

// WriteAccount answers 200 with the account model of u, its `mfa`
// switch read from the store.
func (a *Accounts) WriteAccount(w http.ResponseWriter, r *httpapi.Request, u *core.User) error {
	model, err := a.RenderAccountMFA(r.Context(), u)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, model)
}

// RenderSessionMFA is the session model with the factors proved after
// sign-in and when the last was.
func (a *Accounts) RenderSessionMFA(ctx context.Context, sess *core.Session, current bool) (httpapi.SessionModel, error) {
	m := a.RenderSession(sess, current)
	extra, at, err := a.store.SessionFactors(ctx, sess.ID)
	if err != nil {
		return m, err
	}
	for _, f := range extra {
		if !slices.Contains(m.Factors, f) {
			m.Factors = append(m.Factors, f)
		}
	}
	m.MFAUpdatedAt = httpapi.FormatTime(at)
	return m, nil
}

// Server-side rendering (Appwrite 1.5 on): a back end holding an API key
// with the sessions.write scope signs users in through the Account API
// and gets each new session's secret back, to keep in its own cookie and
// send as X-Appwrite-Session (or as the a_session_<project> cookie the
// gate reads). Browsers and keys without the scope get "" as before.

// NewSessionModel is the model of a session just created for the caller:
// current, with its secret when the caller is a server holding
// sessions.write. The secret is the cookie value, as Appwrite's
// Auth::encodeSession makes it.
func (a *Accounts) NewSessionModel(r *httpapi.Request, sess *core.Session, secret string) httpapi.SessionModel {
	m := a.RenderSession(sess, true)
	if a.api.SessionSecretShown(r) {
		m.Secret = verify.EncodeToken(sess.UserID, secret)
	}
	return m
}

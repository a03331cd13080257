package domain

import (
	"net/http"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
)

// IssueToken runs issue (which stores a token and queues its message) in
// one transaction, wakes the delivery worker, logs event for the user and
// answers 201 with the token, its secret left out.
func (a *Accounts) IssueToken(w http.ResponseWriter, r *httpapi.Request, event string, issue func(tx core.Store) (*core.User, *core.Token, error)) error {
	return a.IssuePhrasedToken(w, r, event, "", issue)
}

// IssuePhrasedToken is IssueToken with the security phrase (if any) in
// the answer.
func (a *Accounts) IssuePhrasedToken(w http.ResponseWriter, r *httpapi.Request, event, phrase string, issue func(tx core.Store) (*core.User, *core.Token, error)) error {
	var user *core.User
	var tok *core.Token
	err := a.store.WithTx(r.Context(), func(tx core.Store) (err error) {
		user, tok, err = issue(tx)
		return err
	})
	if err != nil {
		return err
	}
	a.outbox.Wake()
	a.Audit(r, user, event)
	m := httpapi.RenderToken(tok)
	m.Phrase = phrase
	return httpapi.WriteJSON(w, http.StatusCreated, m)
}

// ReadConfirmation reads userId and secret of a confirmation route and
// loads the user (404 user_not_found).
func (a *Accounts) ReadConfirmation(r *httpapi.Request, idDesc string) (*core.User, string, error) {
	userID, err := httpapi.ReadUserID(r, idDesc)
	if err != nil {
		return nil, "", err
	}
	secret, err := httpapi.ReadSecret(r)
	if err != nil {
		return nil, "", err
	}
	user, err := a.UserForToken(r.Context(), userID)
	return user, secret, err
}

// ConfirmToken spends the user's token of typ and records what it proved,
// in one transaction, logs verification.update and answers 200 with the
// token.
func (a *Accounts) ConfirmToken(w http.ResponseWriter, r *httpapi.Request, user *core.User, typ core.TokenType, secret string, proved func(*core.User)) error {
	var tok *core.Token
	user, err := a.ChangeNamedUser(r.Context(), user.ID, func(tx core.Store, u *core.User) (err error) {
		if tok, err = a.SpendToken(r.Context(), tx, u, typ, secret); err != nil {
			return err
		}
		proved(u)
		return nil
	})
	if err != nil {
		return err
	}
	a.Audit(r, user, "verification.update")
	return httpapi.WriteToken(w, http.StatusOK, tok)
}

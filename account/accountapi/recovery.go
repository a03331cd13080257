package accountapi

import (
	"errors"
	"net/http"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/domain"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/mail"
)

// createRecovery is POST /v1/account/recovery: it mails a password-reset
// link to the account with this email.
func (s *Account) createRecovery(w http.ResponseWriter, r *httpapi.Request) error {
	if s.Project.Mailer == nil {
		return core.NewError(core.ErrGeneralSMTPDisabled)
	}
	email, err := r.Params.Required("email", core.DescEmail)
	if err != nil {
		return err
	}
	if email = core.NormalizeEmail(email); !core.ValidEmail(email) {
		return core.InvalidParam("email", core.DescEmail)
	}
	base, err := s.RequiredRedirectURL(r, "url")
	if err != nil {
		return err
	}
	ctx := r.Context()
	user, err := s.Store.UserByEmail(ctx, email)
	if errors.Is(err, core.ErrNotFound) {
		return core.NewError(core.ErrUserNotFound)
	}
	if err != nil {
		return err
	}
	if !user.Status {
		return core.NewError(core.ErrUserBlocked)
	}
	return s.IssueToken(w, r, "recovery.create", func(tx core.Store) (*core.User, *core.Token, error) {
		tok, err := s.MailToken(ctx, tx, r, user, core.TokenRecovery, core.RecoveryLifetime, mail.KindRecovery, base, user.Name)
		return user, tok, err
	})
}

// updateRecovery is PUT /v1/account/recovery: the link's secret sets a
// new password, proves the email, and ends every session of the user
// (part A item 18), since whoever held them may be why the user is here.
func (s *Account) updateRecovery(w http.ResponseWriter, r *httpapi.Request) error {
	userID, err := httpapi.ReadUserID(r, core.DescUID)
	if err != nil {
		return err
	}
	secret, err := httpapi.ReadSecret(r)
	if err != nil {
		return err
	}
	password, err := r.Params.Password("password", core.DescPassword)
	if err != nil {
		return err
	}
	// Format 1.5 dropped passwordAgain; when sent, it must still match.
	if r.Format < httpapi.Format15 || r.Params.Has("passwordAgain") {
		again, err := r.Params.Password("passwordAgain", core.DescPassword)
		if err != nil {
			return err
		}
		if password != again {
			return core.NewError(core.ErrUserPasswordMismatch)
		}
	}
	ctx := r.Context()
	user, err := s.UserForToken(ctx, userID)
	if err != nil {
		return err
	}
	// The argon2 run stays out of the transaction, which holds the user's
	// lock (and, on SQLite, every write). Like a sign-in, a wrong secret
	// costs one run, under the hasher's bound.
	hash, err := s.Hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	var tok *core.Token
	var ended []*core.Session
	user, err = s.ChangeNamedUser(ctx, user.ID, func(tx core.Store, u *core.User) (err error) {
		if tok, err = s.SpendToken(ctx, tx, u, core.TokenRecovery, secret); err != nil {
			return err
		}
		s.ApplyPassword(u, hash)
		u.EmailVerification = true
		ended, err = domain.EndOtherSessions(ctx, tx, u.ID, "")
		return err
	})
	if err != nil {
		return err
	}
	s.RevokeSessions(ctx, ended)
	s.Audit(r, user, "recovery.update")
	return httpapi.WriteToken(w, http.StatusOK, tok)
}

package accountapi

import (
	"net/http"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/mail"
)

// createVerification is POST /v1/account/verification: it mails the
// signed-in user a link that proves their email.
func (s *Account) createVerification(w http.ResponseWriter, r *httpapi.Request) error {
	if s.Project.Mailer == nil {
		return core.NewError(core.ErrGeneralSMTPDisabled)
	}
	base, err := s.RequiredRedirectURL(r, "url")
	if err != nil {
		return err
	}
	user := r.Principal.User
	if user.Email == "" {
		return httpapi.ArgumentError("The account has no email address to verify.")
	}
	return s.IssueToken(w, r, "verification.create", func(tx core.Store) (*core.User, *core.Token, error) {
		tok, err := s.MailToken(r.Context(), tx, r, user, core.TokenVerification, core.VerificationLifetime, mail.KindVerification, base, user.Name)
		return user, tok, err
	})
}

// updateVerification is PUT /v1/account/verification.
func (s *Account) updateVerification(w http.ResponseWriter, r *httpapi.Request) error {
	user, secret, err := s.ReadConfirmation(r, core.DescUID)
	if err != nil {
		return err
	}
	return s.ConfirmToken(w, r, user, core.TokenVerification, secret, func(u *core.User) { u.EmailVerification = true })
}

// createPhoneVerification is POST /v1/account/verification/phone: it texts
// the signed-in user a code that proves their phone number.
func (s *Account) createPhoneVerification(w http.ResponseWriter, r *httpapi.Request) error {
	user := r.Principal.User
	if user.Phone == "" {
		return core.NewError(core.ErrUserPhoneNotFound)
	}
	if s.Project.SMS == nil {
		return core.NewError(core.ErrGeneralPhoneDisabled)
	}
	return s.IssueToken(w, r, "verification.create", func(tx core.Store) (*core.User, *core.Token, error) {
		tok, err := s.TextCode(r.Context(), tx, r, user.ID, user.Phone, core.TokenPhoneVerification, core.PhoneVerificationLifetime)
		return user, tok, err
	})
}

// updatePhoneVerification is PUT /v1/account/verification/phone. It needs
// the user's own session (part A item 13): a code alone proves nothing
// about who typed it.
func (s *Account) updatePhoneVerification(w http.ResponseWriter, r *httpapi.Request) error {
	user, secret, err := s.ReadConfirmation(r, core.DescUID)
	if err != nil {
		return err
	}
	if r.Principal == nil || r.Principal.User.ID != user.ID {
		return core.NewError(core.ErrUserInvalidToken)
	}
	return s.ConfirmToken(w, r, user, core.TokenPhoneVerification, secret, func(u *core.User) { u.PhoneVerification = true })
}

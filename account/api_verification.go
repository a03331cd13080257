package account

import (
	"net/http"

	"github.com/accountgate/accountgate/account/mail"
)

// createVerification is POST /v1/account/verification: it mails the
// signed-in user a link that proves their email.
func (s *Service) createVerification(w http.ResponseWriter, r *request) error {
	if s.cfg.Mailer == nil {
		return NewError(ErrGeneralSMTPDisabled)
	}
	raw, err := r.params.required("url", "")
	if err != nil {
		return err
	}
	base, err := s.redirectURL("url", raw)
	if err != nil {
		return err
	}
	user := r.principal.User
	if user.Email == "" {
		return argumentError("The account has no email address to verify.")
	}
	ctx := r.Context()
	var tok *Token
	err = s.store.WithTx(ctx, func(tx Store) error {
		tok, err = s.mailToken(ctx, tx, r, user, TokenVerification, verificationLifetime, mail.KindVerification, base, user.Name, false)
		return err
	})
	if err != nil {
		return err
	}
	s.wakeDelivery()
	s.audit(r, user, "verification.create")
	return writeToken(w, http.StatusCreated, tok)
}

// updateVerification is PUT /v1/account/verification.
func (s *Service) updateVerification(w http.ResponseWriter, r *request) error {
	userID, err := readUserID(r, descUID)
	if err != nil {
		return err
	}
	secret, err := readSecret(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	user, err := s.userForToken(ctx, userID)
	if err != nil {
		return err
	}
	tok, err := s.consumeToken(ctx, user.ID, TokenVerification, secret)
	if err != nil {
		return err
	}
	user.EmailVerification = true
	if err := s.saveUser(ctx, user, ""); err != nil {
		return err
	}
	s.audit(r, user, "verification.update")
	return writeToken(w, http.StatusOK, tok)
}

// createPhoneVerification is POST /v1/account/verification/phone: it texts
// the signed-in user a code that proves their phone number.
func (s *Service) createPhoneVerification(w http.ResponseWriter, r *request) error {
	user := r.principal.User
	if user.Phone == "" {
		return NewError(ErrUserPhoneNotFound)
	}
	if s.cfg.SMS == nil {
		return NewError(ErrGeneralPhoneDisabled)
	}
	ctx := r.Context()
	var tok *Token
	err := s.store.WithTx(ctx, func(tx Store) (err error) {
		tok, err = s.textCode(ctx, tx, r, user.ID, user.Phone, TokenPhoneVerification, phoneVerificationLifetime)
		return err
	})
	if err != nil {
		return err
	}
	s.wakeDelivery()
	s.audit(r, user, "verification.create")
	return writeToken(w, http.StatusCreated, tok)
}

// updatePhoneVerification is PUT /v1/account/verification/phone. It needs
// the user's own session (part A item 13): a code alone proves nothing
// about who typed it.
func (s *Service) updatePhoneVerification(w http.ResponseWriter, r *request) error {
	userID, err := readUserID(r, descUID)
	if err != nil {
		return err
	}
	secret, err := readSecret(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	user, err := s.userForToken(ctx, userID)
	if err != nil {
		return err
	}
	if r.principal == nil || r.principal.User.ID != user.ID {
		return NewError(ErrUserInvalidToken)
	}
	tok, err := s.consumeToken(ctx, user.ID, TokenPhoneVerification, secret)
	if err != nil {
		return err
	}
	user.PhoneVerification = true
	if err := s.saveUser(ctx, user, ""); err != nil {
		return err
	}
	s.audit(r, user, "verification.update")
	return writeToken(w, http.StatusOK, tok)
}

package passwordless

import (
	"net/http"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
)

// createPhoneSession is POST /v1/account/sessions/phone: it texts a
// six-digit code, creating the account first if the number is new.
func (s *SignIn) createPhoneSession(w http.ResponseWriter, r *httpapi.Request) error {
	if s.Project.SMS == nil {
		return core.NewError(core.ErrGeneralPhoneDisabled)
	}
	userID, err := r.Params.CustomID()
	if err != nil {
		return err
	}
	phone, err := httpapi.ReadPhone(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var created *core.User // the new account, if the number was new
	err = s.IssueToken(w, r, "session.create", func(tx core.Store) (*core.User, *core.Token, error) {
		user, err := s.findOrCreateUser(ctx, tx, userID, func(u *core.User) { u.Phone, created = phone, u }, tx.UserByPhone, phone)
		if err != nil {
			return nil, nil, err
		}
		tok, err := s.TextCode(ctx, tx, r, user.ID, phone, core.TokenPhoneSession, core.PhoneSessionLifetime)
		return user, tok, err
	})
	s.ObserveCreated(r, created, core.MethodPhone, "", err)
	return err
}

// updatePhoneSession is PUT /v1/account/sessions/phone: the code signs the
// user in and proves the phone number.
func (s *SignIn) updatePhoneSession(w http.ResponseWriter, r *httpapi.Request) error {
	return s.completeTokenSession(w, r, core.TokenPhoneSession, "phone", func(u *core.User) { u.PhoneVerification = true }, "")
}

package accountapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/domain"
	"github.com/accountgate/accountgate/account/httpapi"
)

// editableUser reads the caller's user from the store, for the checks
// made before a change: the cached user is shared, read-only and trimmed
// (it has no password hash). The change itself goes through ChangeUser.
func (s *Account) editableUser(r *httpapi.Request) (*core.User, error) {
	u, err := s.Store.UserByID(r.Context(), r.Principal.User.ID)
	if errors.Is(err, core.ErrNotFound) {
		return nil, core.Errorf(core.ErrGeneralUnauthorizedScope, "User (role: guests) missing scope (account)")
	}
	return u, err
}

// getPrefs is GET /v1/account/prefs.
func (s *Account) getPrefs(w http.ResponseWriter, r *httpapi.Request) error {
	prefs := r.Principal.User.Prefs
	if len(prefs) == 0 {
		prefs = json.RawMessage("{}")
	}
	return httpapi.WriteJSON(w, http.StatusOK, prefs)
}

// updatePrefs is PATCH /v1/account/prefs: the object replaces the old one.
func (s *Account) updatePrefs(w http.ResponseWriter, r *httpapi.Request) error {
	prefs, err := r.Params.Prefs()
	if err != nil {
		return err
	}
	u, err := s.ChangeOwnUser(r, "", func(_ core.Store, u *core.User) error {
		u.Prefs = prefs
		return nil
	})
	if err != nil {
		return err
	}
	s.Audit(r, u, "user.update")
	return s.WriteAccount(w, r, u)
}

// updateName is PATCH /v1/account/name.
func (s *Account) updateName(w http.ResponseWriter, r *httpapi.Request) error {
	name, err := r.Params.Required("name", core.DescText(128))
	if err != nil {
		return err
	}
	if !core.ValidName(name) {
		return core.InvalidParam("name", core.DescText(128))
	}
	u, err := s.ChangeOwnUser(r, "", func(_ core.Store, u *core.User) error {
		u.Name = name
		return nil
	})
	if err != nil {
		return err
	}
	s.Audit(r, u, "user.update")
	return s.WriteAccount(w, r, u)
}

// updatePassword is PATCH /v1/account/password.
func (s *Account) updatePassword(w http.ResponseWriter, r *httpapi.Request) error {
	password, err := r.Params.Password("password", core.DescPasswordDictionary)
	if err != nil {
		return err
	}
	oldPassword, sent, err := r.Params.String("oldPassword", core.DescPassword)
	if err != nil {
		return err
	}
	if sent {
		if err := httpapi.CheckPasswordLength("oldPassword", core.DescPassword, oldPassword); err != nil {
			return err
		}
	}
	return domain.RetryStale(func() error { return s.changePassword(w, r, password, oldPassword) })
}

// changePassword is one attempt of updatePassword: the proofs and the new
// hash are made outside the transaction, which then checks that the hash
// they were made against is still the user's.
func (s *Account) changePassword(w http.ResponseWriter, r *httpapi.Request, password, oldPassword string) error {
	ctx := r.Context()
	seen, err := s.editableUser(r)
	if err != nil {
		return err
	}
	// A user with a password must prove it; the others (anonymous, magic
	// URL, phone, OAuth2) set their first one freely.
	if domain.HasPassword(seen) {
		ok, _, err := s.Hasher.Verify(ctx, oldPassword, seen.PasswordHash)
		if err != nil {
			return err
		}
		if !ok {
			return core.NewError(core.ErrUserInvalidCredentials)
		}
	}
	if err := s.CheckHistory(ctx, seen, password); err != nil {
		return err
	}
	hash, err := s.Hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	var ended []*core.Session
	u, err := s.ChangeOwnUser(r, "", func(tx core.Store, u *core.User) (err error) {
		if u.PasswordHash != seen.PasswordHash {
			return domain.ErrStale
		}
		s.ApplyPassword(u, hash)
		if s.Project.RevokeSessionsOnPasswordChange {
			ended, err = domain.EndOtherSessions(ctx, tx, u.ID, r.Principal.Session.ID)
		}
		return err
	})
	if err != nil {
		return err
	}
	s.RevokeSessions(ctx, ended)
	s.Audit(r, u, "user.update")
	return s.WriteAccount(w, r, u)
}

// userForContactChange reads the password parameter of PATCH email and
// phone and returns the caller's user as read for the change, once the
// password is proven for users who have one (part A item 24). The change
// must then check, under the lock, that the hash is still the one proven.
func (s *Account) userForContactChange(r *httpapi.Request) (*core.User, string, error) {
	password, err := r.Params.Password("password", core.DescPassword)
	if err != nil {
		return nil, "", err
	}
	u, err := s.editableUser(r)
	if err != nil || !domain.HasPassword(u) {
		return u, password, err
	}
	ok, _, err := s.Hasher.Verify(r.Context(), password, u.PasswordHash)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", core.NewError(core.ErrUserInvalidCredentials)
	}
	return u, password, nil
}

// updateEmail is PATCH /v1/account/email. For a user without a password
// (anonymous, magic URL, phone, OAuth2) the password given becomes the
// account's password: the account is converted, keeping its id, sessions
// and prefs.
func (s *Account) updateEmail(w http.ResponseWriter, r *httpapi.Request) error {
	email, err := r.Params.Required("email", core.DescEmail)
	if err != nil {
		return err
	}
	if email = core.NormalizeEmail(email); !core.ValidEmail(email) {
		return core.InvalidParam("email", core.DescEmail)
	}
	return domain.RetryStale(func() error {
		seen, password, err := s.userForContactChange(r)
		if err != nil {
			return err
		}
		var hash string
		if !domain.HasPassword(seen) {
			if hash, err = s.Hasher.Hash(r.Context(), password); err != nil {
				return err
			}
		}
		u, err := s.ChangeOwnUser(r, core.ErrUserEmailAlreadyExists, func(_ core.Store, u *core.User) error {
			if u.PasswordHash != seen.PasswordHash {
				return domain.ErrStale
			}
			if hash != "" {
				s.ApplyPassword(u, hash)
			}
			u.Email = email
			u.EmailVerification = false
			return nil
		})
		if err != nil {
			return err
		}
		s.Audit(r, u, "user.update")
		return s.WriteAccount(w, r, u)
	})
}

// updatePhone is PATCH /v1/account/phone.
func (s *Account) updatePhone(w http.ResponseWriter, r *httpapi.Request) error {
	phone, err := r.Params.Required("phone", core.DescPhone)
	if err != nil {
		return err
	}
	if !core.PhonePattern.MatchString(phone) {
		return core.InvalidParam("phone", core.DescPhone)
	}
	return domain.RetryStale(func() error {
		seen, _, err := s.userForContactChange(r)
		if err != nil {
			return err
		}
		u, err := s.ChangeOwnUser(r, core.ErrUserPhoneAlreadyExists, func(_ core.Store, u *core.User) error {
			if u.PasswordHash != seen.PasswordHash {
				return domain.ErrStale
			}
			u.Phone = phone
			u.PhoneVerification = false
			return nil
		})
		if err != nil {
			return err
		}
		s.Audit(r, u, "user.update")
		return s.WriteAccount(w, r, u)
	})
}

// updateStatus is PATCH /v1/account/status: the user blocks their own
// account. Sessions stay, but every use of them (and of their JWTs) is
// refused with user_blocked from now on, here and at the gate.
func (s *Account) updateStatus(w http.ResponseWriter, r *httpapi.Request) error {
	u, err := s.ChangeOwnUser(r, "", func(_ core.Store, u *core.User) error {
		u.Status = false
		return nil
	})
	if err != nil {
		return err
	}
	s.Audit(r, u, "user.update")
	if s.SendFallback(r.Request) {
		w.Header().Set("X-Fallback-Cookies", "[]")
	}
	return s.WriteAccount(w, r, u)
}

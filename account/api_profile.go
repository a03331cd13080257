package account

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"unicode/utf8"
)

const (
	descPhone = "Phone number must start with a '+' can have a maximum of fifteen digits."
	descPrefs = "Value must be a valid object."
	// maxPrefsBytes bounds prefs as Appwrite measures them: the JSON with
	// non-ASCII escaped as \uXXXX and / as \/.
	maxPrefsBytes = 65535
)

// phonePattern is E.164 as Appwrite checks it.
var phonePattern = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)

// isPasswordless reports Appwrite's "anonymous" test (facts §2.10): no
// password and a missing email or phone. Such users (anonymous, magic-URL,
// phone) need no current password to set an email, phone or password.
func isPasswordless(u *User) bool {
	return u.PasswordHash == "" && (u.Email == "" || u.Phone == "")
}

// saveUser stores changed user fields, maps a unique clash to conflict,
// and drops the user's cached sessions so every request sees the change.
func (s *Service) saveUser(ctx context.Context, u *User, conflict ErrorType) error {
	u.UpdatedAt = s.clock()
	if err := s.store.UpdateUser(ctx, u); err != nil {
		if errors.Is(err, ErrConflict) && conflict != "" {
			return NewError(conflict)
		}
		return err
	}
	s.revoke(ctx, Revocation{UserID: u.ID})
	return nil
}

// editableUser reads the caller's user from the store for a change: the
// cached user is shared, read-only and trimmed (it has no password hash),
// and a fresh read keeps concurrent changes from being lost.
func (s *Service) editableUser(r *request) (*User, error) {
	u, err := s.store.UserByID(r.Context(), r.principal.User.ID)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(ErrGeneralUnauthorizedScope, "User (role: guests) missing scope (account)")
	}
	return u, err
}

// getPrefs is GET /v1/account/prefs.
func (s *Service) getPrefs(w http.ResponseWriter, r *request) error {
	prefs := r.principal.User.Prefs
	if len(prefs) == 0 {
		prefs = json.RawMessage("{}")
	}
	return writeJSON(w, http.StatusOK, prefs)
}

// updatePrefs is PATCH /v1/account/prefs: the object replaces the old one.
func (s *Service) updatePrefs(w http.ResponseWriter, r *request) error {
	if !r.params.has("prefs") {
		return argumentError("Param \"prefs\" is not optional.")
	}
	raw := bytes.TrimSpace(r.params.json["prefs"])
	if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) || appwriteJSONLen(raw) > maxPrefsBytes {
		return invalidParam("prefs", descPrefs)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return invalidParam("prefs", descPrefs)
	}
	u, err := s.editableUser(r)
	if err != nil {
		return err
	}
	u.Prefs = json.RawMessage(compact.Bytes())
	if err := s.saveUser(r.Context(), u, ""); err != nil {
		return err
	}
	s.audit(r, u, "user.update")
	return writeJSON(w, http.StatusOK, renderAccount(u))
}

// appwriteJSONLen is the length PHP's json_encode would give: each
// non-ASCII character as one or two \uXXXX escapes and / as \/.
func appwriteJSONLen(b []byte) int {
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == '/':
			n += 2
		case r >= 0x10000:
			n += 12
		case r >= 0x80:
			n += 6
		default:
			n++
		}
		b = b[size:]
	}
	return n
}

// updateName is PATCH /v1/account/name.
func (s *Service) updateName(w http.ResponseWriter, r *request) error {
	name, err := r.params.required("name", descText(128))
	if err != nil {
		return err
	}
	if !validName(name) {
		return invalidParam("name", descText(128))
	}
	u, err := s.editableUser(r)
	if err != nil {
		return err
	}
	u.Name = name
	if err := s.saveUser(r.Context(), u, ""); err != nil {
		return err
	}
	s.audit(r, u, "user.update")
	return writeJSON(w, http.StatusOK, renderAccount(u))
}

// updatePassword is PATCH /v1/account/password.
func (s *Service) updatePassword(w http.ResponseWriter, r *request) error {
	password, err := r.params.password("password", descPasswordDictionary)
	if err != nil {
		return err
	}
	oldPassword, sent, err := r.params.stringParam("oldPassword", descPassword)
	if err != nil {
		return err
	}
	if sent {
		if err := checkPasswordLength("oldPassword", descPassword, oldPassword); err != nil {
			return err
		}
	}
	ctx := r.Context()
	u, err := s.editableUser(r)
	if err != nil {
		return err
	}
	// A user who chose a password must prove it; passwordless users
	// (anonymous, magic URL, phone, OAuth) set their first one freely.
	if !u.PasswordUpdate.IsZero() {
		ok, _, err := s.hasher.Verify(ctx, oldPassword, u.PasswordHash)
		if err != nil {
			return err
		}
		if !ok {
			return NewError(ErrUserInvalidCredentials)
		}
	}
	if err := s.checkHistory(ctx, u, password); err != nil {
		return err
	}
	if err := s.setPassword(ctx, u, password); err != nil {
		return err
	}
	if err := s.saveUser(ctx, u, ""); err != nil {
		return err
	}
	if s.cfg.RevokeSessionsOnPasswordChange {
		if err := s.revokeOtherSessions(ctx, u.ID, r.principal.Session.ID); err != nil {
			return err
		}
	}
	s.audit(r, u, "user.update")
	return writeJSON(w, http.StatusOK, renderAccount(u))
}

// checkHistory refuses a password among the user's recent ones.
func (s *Service) checkHistory(ctx context.Context, u *User, password string) error {
	if s.cfg.PasswordHistory == 0 {
		return nil
	}
	// The history ends with the current hash; an account made before the
	// history was switched on has only the current hash.
	recent := u.PasswordHistory
	if n := len(recent); u.PasswordHash != "" && (n == 0 || recent[n-1] != u.PasswordHash) {
		recent = append(slices.Clone(recent), u.PasswordHash)
	}
	for _, old := range recent {
		ok, _, err := s.hasher.Verify(ctx, password, old)
		if err != nil {
			return err
		}
		if ok {
			return NewError(ErrPasswordRecentlyUsed)
		}
	}
	return nil
}

// setPassword hashes password into u and keeps the history at its depth.
func (s *Service) setPassword(ctx context.Context, u *User, password string) error {
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	u.PasswordHash = hash
	u.PasswordUpdate = s.clock()
	if n := s.cfg.PasswordHistory; n > 0 {
		u.PasswordHistory = append(u.PasswordHistory, hash)
		if len(u.PasswordHistory) > n {
			u.PasswordHistory = u.PasswordHistory[len(u.PasswordHistory)-n:]
		}
	}
	return nil
}

// revokeOtherSessions deletes every session of the user but keep.
func (s *Service) revokeOtherSessions(ctx context.Context, userID, keep string) error {
	all, err := s.store.UserSessions(ctx, userID)
	if err != nil {
		return err
	}
	var others []*Session
	for _, sess := range all {
		if sess.ID != keep {
			others = append(others, sess)
		}
	}
	return s.deleteSessions(ctx, others...)
}

// userForContactChange reads the password parameter of PATCH email and
// phone and returns the caller's user for the change, once the password
// is proven for users who have one (part A item 24).
func (s *Service) userForContactChange(r *request) (*User, string, error) {
	password, err := r.params.password("password", descPassword)
	if err != nil {
		return nil, "", err
	}
	u, err := s.editableUser(r)
	if err != nil || isPasswordless(u) {
		return u, password, err
	}
	ok, _, err := s.hasher.Verify(r.Context(), password, u.PasswordHash)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", NewError(ErrUserInvalidCredentials)
	}
	return u, password, nil
}

// updateEmail is PATCH /v1/account/email. For a passwordless (e.g.
// anonymous) user the password given becomes the account's password: the
// account is converted, keeping its id, sessions and prefs.
func (s *Service) updateEmail(w http.ResponseWriter, r *request) error {
	email, err := r.params.required("email", descEmail)
	if err != nil {
		return err
	}
	if email = normalizeEmail(email); !validEmail(email) {
		return invalidParam("email", descEmail)
	}
	u, password, err := s.userForContactChange(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if u.PasswordHash == "" {
		if err := s.setPassword(ctx, u, password); err != nil {
			return err
		}
	}
	u.Email = email
	u.EmailVerification = false
	if err := s.saveUser(ctx, u, ErrUserEmailAlreadyExists); err != nil {
		return err
	}
	s.audit(r, u, "user.update")
	return writeJSON(w, http.StatusOK, renderAccount(u))
}

// updatePhone is PATCH /v1/account/phone.
func (s *Service) updatePhone(w http.ResponseWriter, r *request) error {
	phone, err := r.params.required("phone", descPhone)
	if err != nil {
		return err
	}
	if !phonePattern.MatchString(phone) {
		return invalidParam("phone", descPhone)
	}
	u, _, err := s.userForContactChange(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	u.Phone = phone
	u.PhoneVerification = false
	if err := s.saveUser(ctx, u, ErrUserPhoneAlreadyExists); err != nil {
		return err
	}
	s.audit(r, u, "user.update")
	return writeJSON(w, http.StatusOK, renderAccount(u))
}

// updateStatus is PATCH /v1/account/status: the user blocks their own
// account. Sessions stay, but every use of them (and of their JWTs) is
// refused with user_blocked from now on, here and at the gate.
func (s *Service) updateStatus(w http.ResponseWriter, r *request) error {
	u, err := s.editableUser(r)
	if err != nil {
		return err
	}
	u.Status = false
	if err := s.saveUser(r.Context(), u, ""); err != nil {
		return err
	}
	s.audit(r, u, "user.update")
	if s.sendFallback(r.Request) {
		w.Header().Set("X-Fallback-Cookies", "[]")
	}
	return writeJSON(w, http.StatusOK, renderAccount(u))
}

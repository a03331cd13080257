package usersapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
)

// The Users API (/v1/users): the admin side of accounts, for servers
// holding a project API key. Its changes are the operator actions of
// admin.go, or the same locked change (ChangeNamedUser), so each takes
// effect at once at every gate through the revocation path.

// Routes are the Users API's routes; each needs its key scope.
func (s *Users) Routes() []httpapi.Route {
	const read, write = core.ScopeUsersRead, core.ScopeUsersWrite
	return []httpapi.Route{
		httpapi.UsersRoute("GET", "", read, s.usersList),
		httpapi.UsersRoute("POST", "", write, s.usersCreate),
		httpapi.UsersRoute("POST", "bcrypt", write, s.usersCreateWithHash(keepHash(core.CheckBcryptHash, "Value must be a valid bcrypt hash of cost 4 to 16"))),
		httpapi.UsersRoute("POST", "argon2", write, s.usersCreateWithHash(keepHash(core.CheckArgon2Hash, "Value must be a valid argon2id or argon2i hash"))),
		httpapi.UsersRoute("POST", "md5", write, s.usersCreateWithHash(md5Reader)),
		httpapi.UsersRoute("POST", "sha", write, s.usersCreateWithHash(shaReader)),
		httpapi.UsersRoute("POST", "phpass", write, s.usersCreateWithHash(phpassReader)),
		httpapi.UsersRoute("POST", "scrypt", write, s.usersCreateWithHash(scryptReader)),
		httpapi.UsersRoute("POST", "scrypt-modified", write, s.usersCreateWithHash(scryptModifiedReader)),
		httpapi.UsersRoute("GET", "{userId}", read, s.usersGet),
		httpapi.UsersRoute("DELETE", "{userId}", write, s.usersDelete),
		httpapi.UsersRoute("PATCH", "{userId}/status", write, s.usersUpdateStatus),
		httpapi.UsersRoute("PATCH", "{userId}/name", write, s.usersUpdateName),
		httpapi.UsersRoute("PATCH", "{userId}/email", write, s.usersUpdateEmail),
		httpapi.UsersRoute("PATCH", "{userId}/phone", write, s.usersUpdatePhone),
		httpapi.UsersRoute("PATCH", "{userId}/password", write, s.usersUpdatePassword),
		httpapi.UsersRoute("PATCH", "{userId}/verification", write, s.usersUpdateEmailVerification),
		httpapi.UsersRoute("PATCH", "{userId}/verification/phone", write, s.usersUpdatePhoneVerification),
		// PUT is Appwrite's method (the SDKs send it); PATCH is accepted
		// as for the other changes.
		httpapi.UsersRoute("PUT", "{userId}/labels", write, s.usersUpdateLabels),
		httpapi.UsersRoute("PATCH", "{userId}/labels", write, s.usersUpdateLabels),
		httpapi.UsersRoute("GET", "{userId}/prefs", read, s.usersGetPrefs),
		httpapi.UsersRoute("PATCH", "{userId}/prefs", write, s.usersUpdatePrefs),
		httpapi.UsersRoute("GET", "{userId}/sessions", read, s.usersListSessions),
		httpapi.UsersRoute("POST", "{userId}/sessions", write, s.usersCreateSession),
		httpapi.UsersRoute("POST", "{userId}/tokens", write, s.usersCreateToken),
		httpapi.UsersRoute("DELETE", "{userId}/sessions", write, s.usersDeleteSessions),
		httpapi.UsersRoute("DELETE", "{userId}/sessions/{sessionId}", write, s.usersDeleteSession),
		httpapi.UsersRoute("GET", "{userId}/logs", read, s.usersListLogs),
		httpapi.UsersRoute("GET", "{userId}/identities", read, s.usersListIdentities),
	}
}

// userListModel is the Appwrite `userList` model.
type userListModel struct {
	Total int                    `json:"total"`
	Users []httpapi.AccountModel `json:"users"`
}

// The user model sent by the Users API is the account model: Appwrite's
// admin user model adds the password hash and its options, which
// Accountgate never sends (a hash is an offline-crackable secret).

// pathUser loads the user the path names; 404 user_not_found if none.
func (s *Users) pathUser(r *httpapi.Request) (*core.User, error) {
	id := r.PathValue("userId")
	if !core.ValidKey(id) {
		return nil, core.NewError(core.ErrUserNotFound)
	}
	return s.User(r.Context(), id)
}

// usersGet is GET /v1/users/{userId}.
func (s *Users) usersGet(w http.ResponseWriter, r *httpapi.Request) error {
	u, err := s.pathUser(r)
	if err != nil {
		return err
	}
	return s.WriteAccount(w, r, u)
}

// usersCreate is POST /v1/users: a user with any of email, phone,
// password and name, no session.
func (s *Users) usersCreate(w http.ResponseWriter, r *httpapi.Request) error {
	now := s.Clock()
	u := &core.User{CreatedAt: now, UpdatedAt: now, Registration: now, Status: true}
	id, err := r.Params.CustomID()
	if err != nil {
		return err
	}
	if id == "" {
		id = core.NewID(now)
	}
	u.ID = id
	if email, ok, err := r.Params.String("email", core.DescEmail); err != nil {
		return err
	} else if ok && email != "" {
		if u.Email = core.NormalizeEmail(email); !core.ValidEmail(u.Email) {
			return core.InvalidParam("email", core.DescEmail)
		}
	}
	if phone, ok, err := r.Params.String("phone", core.DescPhone); err != nil {
		return err
	} else if ok && phone != "" {
		if !core.PhonePattern.MatchString(phone) {
			return core.InvalidParam("phone", core.DescPhone)
		}
		u.Phone = phone
	}
	if name, ok, err := r.Params.String("name", core.DescText(128)); err != nil {
		return err
	} else if ok {
		if !core.ValidName(name) {
			return core.InvalidParam("name", core.DescText(128))
		}
		u.Name = name
	}
	if r.Params.Has("password") {
		password, err := r.Params.Password("password", core.DescPassword)
		if err != nil {
			return err
		}
		if err := s.SetPassword(r.Context(), u, password); err != nil {
			return err
		}
	}
	if err := s.Store.CreateUser(r.Context(), u); err != nil {
		if errors.Is(err, core.ErrConflict) {
			return core.NewError(core.ErrUserAlreadyExists)
		}
		return err
	}
	s.AdminAudit(r.Context(), u, "user.create")
	return httpapi.WriteJSON(w, http.StatusCreated, httpapi.RenderAccount(u))
}

// usersDelete is DELETE /v1/users/{userId}.
func (s *Users) usersDelete(w http.ResponseWriter, r *httpapi.Request) error {
	u, err := s.pathUser(r)
	if err != nil {
		return err
	}
	if err := s.DeleteUser(r.Context(), u.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// usersChange applies change to the path's user under its lock, logs it
// as event (Appwrite's audit event names) and answers with the user.
func (s *Users) usersChange(w http.ResponseWriter, r *httpapi.Request, event string, conflict core.ErrorType, change func(u *core.User)) error {
	id := r.PathValue("userId")
	if !core.ValidKey(id) {
		return core.NewError(core.ErrUserNotFound)
	}
	u, err := s.ChangeUser(r.Context(), id, conflict, func(_ core.Store, u *core.User) error {
		change(u)
		return nil
	})
	if errors.Is(err, core.ErrNotFound) {
		return core.NewError(core.ErrUserNotFound)
	}
	if err != nil {
		return err
	}
	s.AdminAudit(r.Context(), u, event)
	return s.WriteAccount(w, r, u)
}

// usersUpdateStatus is PATCH /v1/users/{userId}/status: false blocks the
// user (every session and JWT refused, here and at the gate), true
// unblocks.
func (s *Users) usersUpdateStatus(w http.ResponseWriter, r *httpapi.Request) error {
	status, err := r.Params.Bool("status")
	if err != nil {
		return err
	}
	if !core.ValidKey(r.PathValue("userId")) {
		return core.NewError(core.ErrUserNotFound)
	}
	u, err := s.SetUserStatus(r.Context(), r.PathValue("userId"), status)
	if err != nil {
		return err
	}
	return s.WriteAccount(w, r, u)
}

// usersUpdateName is PATCH /v1/users/{userId}/name.
func (s *Users) usersUpdateName(w http.ResponseWriter, r *httpapi.Request) error {
	name, err := r.Params.Required("name", core.DescText(128))
	if err != nil {
		return err
	}
	if !core.ValidName(name) {
		return core.InvalidParam("name", core.DescText(128))
	}
	return s.usersChange(w, r, "user.update", "", func(u *core.User) { u.Name = name })
}

// usersUpdateEmail is PATCH /v1/users/{userId}/email. The new address is
// unverified; links sent to the old one stop working (ChangeUser).
func (s *Users) usersUpdateEmail(w http.ResponseWriter, r *httpapi.Request) error {
	email, err := r.Params.Required("email", core.DescEmail)
	if err != nil {
		return err
	}
	if email = core.NormalizeEmail(email); !core.ValidEmail(email) {
		return core.InvalidParam("email", core.DescEmail)
	}
	return s.usersChange(w, r, "user.update", core.ErrUserEmailAlreadyExists, func(u *core.User) {
		if u.Email != email {
			u.Email, u.EmailVerification = email, false
		}
	})
}

// usersUpdatePhone is PATCH /v1/users/{userId}/phone; the number is in
// the parameter "number", as Appwrite names it.
func (s *Users) usersUpdatePhone(w http.ResponseWriter, r *httpapi.Request) error {
	phone, err := r.Params.Required("number", core.DescPhone)
	if err != nil {
		return err
	}
	if !core.PhonePattern.MatchString(phone) {
		return core.InvalidParam("number", core.DescPhone)
	}
	return s.usersChange(w, r, "user.update", core.ErrUserPhoneAlreadyExists, func(u *core.User) {
		if u.Phone != phone {
			u.Phone, u.PhoneVerification = phone, false
		}
	})
}

// usersUpdatePassword is PATCH /v1/users/{userId}/password: the
// operator's reset (SetUserPassword).
func (s *Users) usersUpdatePassword(w http.ResponseWriter, r *httpapi.Request) error {
	password, err := r.Params.Password("password", core.DescPassword)
	if err != nil {
		return err
	}
	if !core.ValidKey(r.PathValue("userId")) {
		return core.NewError(core.ErrUserNotFound)
	}
	u, err := s.SetUserPassword(r.Context(), r.PathValue("userId"), password)
	if err != nil {
		return err
	}
	return s.WriteAccount(w, r, u)
}

// usersUpdateEmailVerification is PATCH /v1/users/{userId}/verification.
func (s *Users) usersUpdateEmailVerification(w http.ResponseWriter, r *httpapi.Request) error {
	v, err := r.Params.Bool("emailVerification")
	if err != nil {
		return err
	}
	return s.usersChange(w, r, "verification.update", "", func(u *core.User) { u.EmailVerification = v })
}

// usersUpdatePhoneVerification is PATCH
// /v1/users/{userId}/verification/phone.
func (s *Users) usersUpdatePhoneVerification(w http.ResponseWriter, r *httpapi.Request) error {
	v, err := r.Params.Bool("phoneVerification")
	if err != nil {
		return err
	}
	return s.usersChange(w, r, "verification.update", "", func(u *core.User) { u.PhoneVerification = v })
}

// usersGetPrefs is GET /v1/users/{userId}/prefs.
func (s *Users) usersGetPrefs(w http.ResponseWriter, r *httpapi.Request) error {
	u, err := s.pathUser(r)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, prefsOf(u))
}

// usersUpdatePrefs is PATCH /v1/users/{userId}/prefs: the object replaces
// the old one; the answer is the prefs, as Appwrite's.
func (s *Users) usersUpdatePrefs(w http.ResponseWriter, r *httpapi.Request) error {
	prefs, err := r.Params.Prefs()
	if err != nil {
		return err
	}
	id := r.PathValue("userId")
	if !core.ValidKey(id) {
		return core.NewError(core.ErrUserNotFound)
	}
	u, err := s.ChangeNamedUser(r.Context(), id, func(_ core.Store, u *core.User) error {
		u.Prefs = prefs
		return nil
	})
	if err != nil {
		return err
	}
	s.AdminAudit(r.Context(), u, "user.update")
	return httpapi.WriteJSON(w, http.StatusOK, prefsOf(u))
}

// prefsOf is the user's prefs, {} when none.
func prefsOf(u *core.User) json.RawMessage {
	if len(u.Prefs) == 0 {
		return json.RawMessage("{}")
	}
	return u.Prefs
}

// usersListSessions is GET /v1/users/{userId}/sessions. No session is
// current: the caller is a server, not one of the user's devices.
func (s *Users) usersListSessions(w http.ResponseWriter, r *httpapi.Request) error {
	all, err := s.UserSessions(r.Context(), r.PathValue("userId"))
	if err != nil {
		return err
	}
	out := httpapi.SessionListModel{Total: len(all), Sessions: make([]httpapi.SessionModel, 0, len(all))}
	for _, sess := range all {
		out.Sessions = append(out.Sessions, s.RenderSession(sess, false))
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

// usersDeleteSessions is DELETE /v1/users/{userId}/sessions: every
// session of the user ends, everywhere.
func (s *Users) usersDeleteSessions(w http.ResponseWriter, r *httpapi.Request) error {
	if _, err := s.SignOutUser(r.Context(), r.PathValue("userId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// usersDeleteSession is DELETE /v1/users/{userId}/sessions/{sessionId}.
func (s *Users) usersDeleteSession(w http.ResponseWriter, r *httpapi.Request) error {
	u, err := s.pathUser(r)
	if err != nil {
		return err
	}
	id := r.PathValue("sessionId")
	if !core.ValidKey(id) {
		return core.NewError(core.ErrUserSessionNotFound)
	}
	sess, err := s.Store.SessionByID(r.Context(), id)
	if errors.Is(err, core.ErrNotFound) || (err == nil && sess.UserID != u.ID) {
		return core.NewError(core.ErrUserSessionNotFound)
	}
	if err != nil {
		return err
	}
	if err := s.DeleteSessions(r.Context(), sess); err != nil {
		return err
	}
	s.AdminAudit(r.Context(), u, "session.delete")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// usersListLogs is GET /v1/users/{userId}/logs, newest first.
func (s *Users) usersListLogs(w http.ResponseWriter, r *httpapi.Request) error {
	limit, offset, err := httpapi.ParseLogQueries(r.URL.Query())
	if err != nil {
		return err
	}
	u, err := s.pathUser(r)
	if err != nil {
		return err
	}
	entries, total, err := s.Store.UserLogs(r.Context(), u.ID, limit, offset)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, httpapi.RenderLogs(entries, total))
}

// usersListIdentities is GET /v1/users/{userId}/identities: the
// provider accounts linked to the user, oldest first.
func (s *Users) usersListIdentities(w http.ResponseWriter, r *httpapi.Request) error {
	limit, offset, err := httpapi.ParsePaging(r.URL.Query(), httpapi.DefaultIdentityLimit, httpapi.MaxIdentityLimit)
	if err != nil {
		return err
	}
	u, err := s.pathUser(r)
	if err != nil {
		return err
	}
	all, err := s.Store.UserIdentities(r.Context(), u.ID)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, httpapi.RenderIdentities(all, limit, offset))
}

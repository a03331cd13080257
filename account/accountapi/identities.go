package accountapi

import (
	"errors"
	"net/http"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
)

// listIdentities is GET /v1/account/identities: the caller's linked
// provider accounts, oldest first, with limit and offset queries.
func (s *Account) listIdentities(w http.ResponseWriter, r *httpapi.Request) error {
	limit, offset, err := httpapi.ParsePaging(r.URL.Query(), httpapi.DefaultIdentityLimit, httpapi.MaxIdentityLimit)
	if err != nil {
		return err
	}
	all, err := s.Store.UserIdentities(r.Context(), r.Principal.User.ID)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, httpapi.RenderIdentities(all, limit, offset))
}

// deleteIdentity is DELETE /v1/account/identities/{identityId}. The
// user's last way to sign in is never removed: that would lock them out.
func (s *Account) deleteIdentity(w http.ResponseWriter, r *httpapi.Request) error {
	id := r.PathValue("identityId")
	if !core.ValidKey(id) {
		return core.InvalidParam("identityId", core.DescUID)
	}
	ctx := r.Context()
	// The cached user carries no password hash: read the whole record.
	user, err := s.Store.UserByID(ctx, r.Principal.User.ID)
	if err != nil {
		return err
	}
	all, err := s.Store.UserIdentities(ctx, user.ID)
	if err != nil {
		return err
	}
	var others []*core.LinkedIdentity
	found := false
	for _, i := range all {
		if i.ID == id {
			found = true
		} else {
			others = append(others, i)
		}
	}
	if !found {
		return core.NewError(core.ErrUserIdentityNotFound)
	}
	if !s.canSignInWithout(user, others) {
		return core.Errorf(core.ErrUserUnauthorized, "This identity is the last way to sign in to this account. "+
			"Set a password, or link another provider, before removing it.")
	}
	if err := s.Store.DeleteIdentity(ctx, user.ID, id); err != nil {
		if errors.Is(err, core.ErrNotFound) {
			return core.NewError(core.ErrUserIdentityNotFound)
		}
		return err
	}
	s.Audit(r, user, "identity.delete")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// canSignInWithout reports whether user still has a way in with only the
// identities left: a password with an email, a mailbox for magic URLs, a
// phone for SMS codes (each method enabled and its channel configured),
// or another identity of a provider still configured.
func (s *Account) canSignInWithout(user *core.User, left []*core.LinkedIdentity) bool {
	on := func(m core.AuthMethodName) bool { return !s.Project.Disabled[m] }
	switch {
	case user.Email != "" && user.PasswordHash != "" && on(core.MethodEmailPassword):
		return true
	case user.Email != "" && s.Project.Mailer != nil && on(core.MethodMagicURL):
		return true
	case user.Phone != "" && s.Project.SMS != nil && on(core.MethodPhone):
		return true
	}
	if !on(core.MethodOAuth2) {
		return false
	}
	for _, i := range left {
		if _, ok := s.Project.OAuth2[i.Provider]; ok {
			return true
		}
	}
	return false
}

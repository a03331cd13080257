package usersapi

import (
	"context"
	"net/http"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
)

// SetUserLabels replaces the labels of the user id (CheckLabels' rules;
// none clears them). Like a block, the change reaches every gate at once.
func (s *Users) SetUserLabels(ctx context.Context, id string, labels []string) (*core.User, error) {
	labels, err := core.CheckLabels(labels)
	if err != nil {
		return nil, err
	}
	u, err := s.ChangeNamedUser(ctx, id, func(_ core.Store, u *core.User) error {
		u.Labels = labels
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.AdminAudit(ctx, u, "user.update")
	return u, nil
}

// usersUpdateLabels is PUT (or PATCH) /v1/users/{userId}/labels: the
// labels replace the old ones.
func (s *Users) usersUpdateLabels(w http.ResponseWriter, r *httpapi.Request) error {
	labels, err := r.Params.Labels()
	if err != nil {
		return err
	}
	if !core.ValidKey(r.PathValue("userId")) {
		return core.NewError(core.ErrUserNotFound)
	}
	u, err := s.SetUserLabels(r.Context(), r.PathValue("userId"), labels)
	if err != nil {
		return err
	}
	return s.WriteAccount(w, r, u)
}

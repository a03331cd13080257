package account

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/accountgate/accountgate/account/core"
)

// Labels tag users for the operator's own purposes (roles, plans); the
// gate hands them to the upstream and can admit users by them. Appwrite's
// rules: at most maxLabels labels, each 1 to maxLabelLength ASCII letters
// and digits; repeats are dropped, the first kept, order kept.
const (
	maxLabels      = 1000
	maxLabelLength = 36
)

// descLabels is Appwrite's description of the labels validator.
const descLabels = "Value must a valid array no longer than 1000 items and Value must be a valid string and at least 1 chars and no longer than 36 chars and only consist of 'a-z, A-Z, 0-9' chars"

// CheckLabels checks labels against Appwrite's rules and returns them
// without repeats (nil for none); 400 general_argument_invalid otherwise.
func CheckLabels(labels []string) ([]string, error) {
	if len(labels) > maxLabels {
		return nil, InvalidParam("labels", descLabels)
	}
	var out []string
	for _, l := range labels {
		if !validLabel(l) {
			return nil, InvalidParam("labels", descLabels)
		}
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out, nil
}

// validLabel reports whether l is 1 to maxLabelLength ASCII letters and
// digits.
func validLabel(l string) bool {
	if l == "" || len(l) > maxLabelLength {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// SetUserLabels replaces the labels of the user id (CheckLabels' rules;
// none clears them). Like a block, the change reaches every gate at once.
func (s *Service) SetUserLabels(ctx context.Context, id string, labels []string) (*User, error) {
	labels, err := CheckLabels(labels)
	if err != nil {
		return nil, err
	}
	u, err := s.changeNamedUser(ctx, id, func(_ Store, u *User) error {
		u.Labels = labels
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.adminAudit(ctx, u, "user.update")
	return u, nil
}

// usersUpdateLabels is PUT (or PATCH) /v1/users/{userId}/labels: the
// labels replace the old ones.
func (s *Service) usersUpdateLabels(w http.ResponseWriter, r *Request) error {
	labels, err := r.Params.Labels()
	if err != nil {
		return err
	}
	if !core.ValidKey(r.PathVars["userId"]) {
		return NewError(ErrUserNotFound)
	}
	u, err := s.SetUserLabels(r.Context(), r.PathVars["userId"], labels)
	if err != nil {
		return err
	}
	return s.writeAccount(w, r, u)
}

// labels reads the required labels parameter: a JSON array of strings,
// or in a form labels[] (or labels) repeated. Items are checked by count
// before any is decoded.
func (p *Params) Labels() ([]string, error) {
	if p.json == nil {
		vals, ok := p.form["labels[]"]
		if !ok {
			vals, ok = p.form["labels"]
		}
		if !ok {
			return nil, ArgumentError("Param \"labels\" is not optional.")
		}
		return vals, nil
	}
	if !p.Has("labels") {
		return nil, ArgumentError("Param \"labels\" is not optional.")
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(p.json["labels"], &raw); err != nil || len(raw) > maxLabels {
		return nil, InvalidParam("labels", descLabels)
	}
	out := make([]string, len(raw))
	for i, v := range raw {
		if err := json.Unmarshal(v, &out[i]); err != nil {
			return nil, InvalidParam("labels", descLabels)
		}
	}
	return out, nil
}

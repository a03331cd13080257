package accountapi

import (
	"errors"
	"net/http"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
)

// createAccountForm is the body of POST /v1/account.
type createAccountForm struct {
	userID, email, Password, name string
}

func readCreateAccount(p *httpapi.Params, now func() string) (f createAccountForm, err error) {
	if f.userID, err = p.CustomID(); err != nil {
		return f, err
	}
	if f.userID == "" {
		f.userID = now()
	}
	if f.email, err = p.Required("email", core.DescEmail); err != nil {
		return f, err
	}
	if f.email = core.NormalizeEmail(f.email); !core.ValidEmail(f.email) {
		return f, core.InvalidParam("email", core.DescEmail)
	}
	if f.Password, err = p.Password("password", core.DescPasswordDictionary); err != nil {
		return f, err
	}
	name, ok, err := p.String("name", core.DescText(128))
	if err != nil {
		return f, err
	}
	if ok && !core.ValidName(name) {
		return f, core.InvalidParam("name", core.DescText(128))
	}
	f.name = name
	return f, nil
}

// createAccount is POST /v1/account: a new email/password account, no
// session.
func (s *Account) createAccount(w http.ResponseWriter, r *httpapi.Request) error {
	now := s.Clock()
	f, err := readCreateAccount(r.Params, func() string { return core.NewID(now) })
	if err != nil {
		return err
	}
	u := &core.User{
		ID:           f.userID,
		CreatedAt:    now,
		UpdatedAt:    now,
		Name:         f.name,
		Email:        f.email,
		Registration: now,
		Status:       true,
		AccessedAt:   now,
	}
	if err := s.SetPassword(r.Context(), u, f.Password); err != nil {
		return err
	}
	if err := s.Store.CreateUser(r.Context(), u); err != nil {
		if errors.Is(err, core.ErrConflict) {
			return core.NewError(core.ErrUserAlreadyExists)
		}
		return err
	}
	s.Audit(r, u, "user.create")
	return httpapi.WriteJSON(w, http.StatusCreated, httpapi.RenderAccount(u))
}

// getAccount is GET /v1/account.
func (s *Account) getAccount(w http.ResponseWriter, r *httpapi.Request) error {
	a, err := s.RenderAccountMFA(r.Context(), r.Principal.User)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, a)
}

package passwordless

import (
	"context"
	"errors"
	"net/http"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/domain"
	"github.com/accountgate/accountgate/account/httpapi"
)

// createMagicURLSession is POST /v1/account/sessions/magic-url: it mails a
// sign-in link, creating the account first if the email is new. It is
// POST /tokens/magic-url without the security phrase (format 1.3 has none).
func (s *SignIn) createMagicURLSession(w http.ResponseWriter, r *httpapi.Request) error {
	return s.sendMagicURL(w, r, false)
}

// findOrCreateUser returns the user that lookup(key) finds, or creates one
// with the given id (generated for unique()) shaped by fill.
func (s *SignIn) findOrCreateUser(ctx context.Context, tx core.Store, id string, fill func(*core.User), lookup func(context.Context, string) (*core.User, error), key string) (*core.User, error) {
	u, err := lookup(ctx, key)
	if err == nil {
		return u, nil
	}
	if !errors.Is(err, core.ErrNotFound) {
		return nil, err
	}
	now := s.Clock()
	if id == "" {
		id = core.NewID(now)
	}
	u = &core.User{ID: id, CreatedAt: now, UpdatedAt: now, Registration: now, Status: true}
	fill(u)
	if err := tx.CreateUser(ctx, u); err != nil {
		if errors.Is(err, core.ErrConflict) {
			return nil, core.NewError(core.ErrUserAlreadyExists)
		}
		return nil, err
	}
	return u, nil
}

// updateMagicURLSession is PUT /v1/account/sessions/magic-url: the link's
// secret signs the user in and proves the email.
func (s *SignIn) updateMagicURLSession(w http.ResponseWriter, r *httpapi.Request) error {
	return s.completeTokenSession(w, r, core.TokenMagicURL, "magic-url", func(u *core.User) { u.EmailVerification = true }, "session.update")
}

// completeTokenSession spends a sign-in token (magic URL or phone code),
// marks what it proved on the user and creates the session, all in one
// transaction: a blocked user or a failed write leaves the token unspent.
func (s *SignIn) completeTokenSession(w http.ResponseWriter, r *httpapi.Request, typ core.TokenType, provider string, proved func(*core.User), event string) error {
	user, secret, err := s.ReadConfirmation(r, core.DescCustomID)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var ns domain.NewSession
	user, err = s.ChangeNamedUser(ctx, user.ID, func(tx core.Store, u *core.User) (err error) {
		if _, err := s.SpendToken(ctx, tx, u, typ, secret); err != nil {
			return err
		}
		if !u.Status {
			return core.NewError(core.ErrUserBlocked)
		}
		proved(u)
		ns, err = s.CreateSessionIn(ctx, tx, domain.NewSessionInput{User: u, Provider: provider, R: r.Request})
		return err
	})
	if err != nil {
		return err
	}
	s.RevokePruned(ctx, ns)
	if event != "" {
		s.Audit(r, user, event)
	}
	s.SetSessionCookies(w, r.Request, user.ID, ns.Secret, ns.Sess)
	return httpapi.WriteJSON(w, http.StatusOK, s.NewSessionModel(r, ns.Sess, ns.Secret))
}

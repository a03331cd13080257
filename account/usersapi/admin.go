package usersapi

import (
	"context"
	"errors"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/domain"
	"github.com/accountgate/accountgate/account/httpapi"
)

// The operators' actions on any user, for tools that run with the
// project's configuration (the admin command). They are the API's own
// changes without a signed-in caller: the same locked read-modify-write
// (ChangeUser) and the same revocations, so every instance refuses a
// blocked user or a deleted session at once.

// MaxListUsers bounds one page of ListUsers.
const MaxListUsers = 5000

// User returns the user id, or 404 user_not_found.
func (s *Users) User(ctx context.Context, id string) (*core.User, error) {
	u, err := s.Store.UserByID(ctx, id)
	if errors.Is(err, core.ErrNotFound) {
		return nil, core.NewError(core.ErrUserNotFound)
	}
	return u, err
}

// ListUsers returns at most limit users (1..MaxListUsers) in creation
// order, after the user afterID ("" from the first); 404 user_not_found
// if there is no user afterID.
func (s *Users) ListUsers(ctx context.Context, afterID string, limit int) ([]*core.User, error) {
	if limit < 1 || limit > MaxListUsers {
		return nil, core.Errorf(core.ErrGeneralArgumentInvalid, "Invalid limit: Value must be a valid range between 1 and %d", MaxListUsers)
	}
	list, err := s.Store.ListUsers(ctx, afterID, limit)
	if errors.Is(err, core.ErrNotFound) {
		return nil, core.NewError(core.ErrUserNotFound)
	}
	return list, err
}

// UserSessions lists the sessions of the user id, oldest first; 404
// user_not_found if there is no such user.
func (s *Users) UserSessions(ctx context.Context, id string) ([]*core.Session, error) {
	if _, err := s.User(ctx, id); err != nil {
		return nil, err
	}
	return s.Store.UserSessions(ctx, id)
}

// SetUserStatus blocks (active false) or unblocks the user id. A blocked
// user keeps their sessions, but every use of them is refused with
// user_blocked, here and at the gate, until they are unblocked.
func (s *Users) SetUserStatus(ctx context.Context, id string, active bool) (*core.User, error) {
	u, err := s.ChangeNamedUser(ctx, id, func(_ core.Store, u *core.User) error {
		u.Status = active
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.AdminAudit(ctx, u, "user.update")
	return u, nil
}

// SignOutUser deletes every session of the user id, and with them the
// JWTs made from them, and says how many went.
func (s *Users) SignOutUser(ctx context.Context, id string) (int, error) {
	u, err := s.User(ctx, id)
	if err != nil {
		return 0, err
	}
	all, err := s.Store.UserSessions(ctx, id)
	if err != nil {
		return 0, err
	}
	if err := s.DeleteSessions(ctx, all...); err != nil {
		return 0, err
	}
	s.AdminAudit(ctx, u, "session.delete")
	return len(all), nil
}

// DeleteUser removes the user id with their sessions, tokens, linked
// identities and security log, and forgets them in every cache.
func (s *Users) DeleteUser(ctx context.Context, id string) error {
	var ended []*core.Session
	err := s.Store.WithTx(ctx, func(tx core.Store) error {
		// The lock keeps a concurrent change from writing the user back.
		if _, err := tx.LockUser(ctx, id); err != nil {
			return err
		}
		var err error
		if ended, err = tx.UserSessions(ctx, id); err != nil {
			return err
		}
		return tx.DeleteUser(ctx, id)
	})
	if errors.Is(err, core.ErrNotFound) {
		return core.NewError(core.ErrUserNotFound)
	}
	if err != nil {
		return err
	}
	s.RevokeSessions(ctx, ended)
	s.Revoke(ctx, core.Revocation{UserID: id})
	return nil
}

// SetUserPassword gives the user id the password password (8 to 256
// bytes), without the current one: the operator's reset. The history is
// kept but not enforced, as the operator chooses; the user's recovery
// links stop working, and with RevokeSessionsOnPasswordChange their
// sessions end.
func (s *Users) SetUserPassword(ctx context.Context, id, password string) (*core.User, error) {
	if err := httpapi.CheckPasswordLength("password", core.DescPassword, password); err != nil {
		return nil, err
	}
	// Hashed before the lock is taken, as the API does.
	hash, err := s.Hasher.Hash(ctx, password)
	if err != nil {
		return nil, err
	}
	var ended []*core.Session
	u, err := s.ChangeNamedUser(ctx, id, func(tx core.Store, u *core.User) (err error) {
		s.ApplyPassword(u, hash)
		if s.Project.RevokeSessionsOnPasswordChange {
			ended, err = domain.EndOtherSessions(ctx, tx, u.ID, "")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	s.RevokeSessions(ctx, ended)
	s.AdminAudit(ctx, u, "user.update")
	return u, nil
}

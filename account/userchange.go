package account

import (
	"context"
	"errors"

	"github.com/accountgate/accountgate/account/httpapi"

	"github.com/accountgate/accountgate/account/core"
)

// A token proves control of the address it was sent to, nothing more: it
// records that address (as a hash) and is accepted only while its user
// still has it, checked in the transaction that spends it. Changing the
// address, or the password, also deletes the user's outstanding tokens
// that depended on it, so a link sent before the change never works after
// it, not even once the old address is back.

// spendToken spends u's token of typ matching secret through tx, which
// must hold u's lock (changeUser): 401 user_invalid_token when there is
// none, or when it was sent to an address u no longer has.
func (s *Service) spendToken(ctx context.Context, tx core.Store, u *core.User, typ core.TokenType, secret string) (*core.Token, error) {
	target := core.TokenTarget(u, typ)
	if target == "" {
		return nil, core.NewError(core.ErrUserInvalidToken)
	}
	tok, err := tx.ConsumeToken(ctx, u.ID, typ, core.TokenHash(u.ID, typ, secret), core.TargetHash(target), s.clock())
	if errors.Is(err, core.ErrNotFound) {
		return nil, core.NewError(core.ErrUserInvalidToken)
	}
	return tok, err
}

// changeUser reads user id under its lock in one transaction, lets change
// edit it (change may also write through tx, e.g. spend a token), and
// writes it back: a concurrent change is never lost, and if anything
// fails nothing is written, a token spent by change included. Tokens that
// depended on a changed email, phone or password are deleted in the same
// transaction. A unique clash on the write becomes conflict, if set.
func (s *Service) changeUser(ctx context.Context, id string, conflict core.ErrorType, change func(tx core.Store, u *core.User) error) (*core.User, error) {
	var out *core.User
	err := s.store.WithTx(ctx, func(tx core.Store) error {
		u, err := tx.LockUser(ctx, id)
		if err != nil {
			return err
		}
		before := *u
		if err := change(tx, u); err != nil {
			return err
		}
		u.UpdatedAt = s.clock()
		if err := tx.UpdateUser(ctx, u); err != nil {
			if errors.Is(err, core.ErrConflict) && conflict != "" {
				return core.NewError(conflict)
			}
			return err
		}
		out = u
		return core.RevokeVoidTokens(ctx, tx, &before, u)
	})
	if err != nil {
		return nil, err
	}
	// Every Request must see the change, not a cached copy.
	s.revoke(ctx, core.Revocation{UserID: id})
	return out, nil
}

// changeOwnUser is changeUser for the signed-in caller; a user deleted
// meanwhile is a guest.
func (s *Service) changeOwnUser(r *httpapi.Request, conflict core.ErrorType, change func(tx core.Store, u *core.User) error) (*core.User, error) {
	u, err := s.changeUser(r.Context(), r.Principal.User.ID, conflict, change)
	if errors.Is(err, core.ErrNotFound) {
		return nil, core.Errorf(core.ErrGeneralUnauthorizedScope, "User (role: guests) missing scope (account)")
	}
	return u, err
}

// changeNamedUser is changeUser for the user a confirmation Route names;
// a user deleted meanwhile is 404 user_not_found, as before the change.
func (s *Service) changeNamedUser(ctx context.Context, id string, change func(tx core.Store, u *core.User) error) (*core.User, error) {
	u, err := s.changeUser(ctx, id, "", change)
	if errors.Is(err, core.ErrNotFound) {
		return nil, core.NewError(core.ErrUserNotFound)
	}
	return u, err
}

// errStale says the user's password hash changed between a check made
// before the transaction (a password proof or a fresh hash, each an argon2
// run kept out of the lock) and the write that relied on it.
var errStale = errors.New("user changed during the request")

// staleTries bounds the re-runs of a change that keeps finding its check
// stale: only a burst of changes to the same account can exhaust them.
const staleTries = 3

// retryStale runs attempt, again while it fails with errStale; in the end
// the caller is told to try later.
func retryStale(attempt func() error) error {
	for range staleTries {
		if err := attempt(); !errors.Is(err, errStale) {
			return err
		}
	}
	return core.Errorf(core.ErrGeneralServerBusy, "The account changed during the request. Please try again.")
}

// hasPassword is the one test of whether an account has a password to
// prove. A user without one (anonymous, magic URL, phone, OAuth2, in any
// combination of email and phone) proves themselves by their session
// alone: they change their email, phone or password without a current
// password, and the password given to PATCH email becomes theirs.
func hasPassword(u *core.User) bool { return u.PasswordHash != "" }

package domain

import (
	"context"
	"errors"
	"slices"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
)

// SpendToken spends u's token of typ matching secret through tx, which
// must hold u's lock (ChangeUser): 401 user_invalid_token when there is
// none, or when it was sent to an address u no longer has.
func (a *Accounts) SpendToken(ctx context.Context, tx core.Store, u *core.User, typ core.TokenType, secret string) (*core.Token, error) {
	target := core.TokenTarget(u, typ)
	if target == "" {
		return nil, core.NewError(core.ErrUserInvalidToken)
	}
	tok, err := tx.ConsumeToken(ctx, u.ID, typ, core.TokenHash(u.ID, typ, secret), core.TargetHash(target), a.Clock())
	if errors.Is(err, core.ErrNotFound) {
		return nil, core.NewError(core.ErrUserInvalidToken)
	}
	return tok, err
}

// ChangeUser reads user id under its lock in one transaction, lets change
// edit it (change may also write through tx, e.g. spend a token), and
// writes it back: a concurrent change is never lost, and if anything
// fails nothing is written, a token spent by change included. Tokens that
// depended on a changed email, phone or password are deleted in the same
// transaction. A unique clash on the write becomes conflict, if set.
func (a *Accounts) ChangeUser(ctx context.Context, id string, conflict core.ErrorType, change func(tx core.Store, u *core.User) error) (*core.User, error) {
	var out *core.User
	err := a.store.WithTx(ctx, func(tx core.Store) error {
		u, err := tx.LockUser(ctx, id)
		if err != nil {
			return err
		}
		before := *u
		if err := change(tx, u); err != nil {
			return err
		}
		u.UpdatedAt = a.Clock()
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
	// Every request must see the change, not a cached copy.
	a.Revoke(ctx, core.Revocation{UserID: id})
	return out, nil
}

// ChangeOwnUser is ChangeUser for the signed-in caller; a user deleted
// meanwhile is a guest.
func (a *Accounts) ChangeOwnUser(r *httpapi.Request, conflict core.ErrorType, change func(tx core.Store, u *core.User) error) (*core.User, error) {
	u, err := a.ChangeUser(r.Context(), r.Principal.User.ID, conflict, change)
	if errors.Is(err, core.ErrNotFound) {
		return nil, core.Errorf(core.ErrGeneralUnauthorizedScope, "User (role: guests) missing scope (account)")
	}
	return u, err
}

// ChangeNamedUser is ChangeUser for the user a confirmation route names;
// a user deleted meanwhile is 404 user_not_found, as before the change.
func (a *Accounts) ChangeNamedUser(ctx context.Context, id string, change func(tx core.Store, u *core.User) error) (*core.User, error) {
	u, err := a.ChangeUser(ctx, id, "", change)
	if errors.Is(err, core.ErrNotFound) {
		return nil, core.NewError(core.ErrUserNotFound)
	}
	return u, err
}

// ErrStale says the user's password hash changed between a check made
// before the transaction (a password proof or a fresh hash, each an argon2
// run kept out of the lock) and the write that relied on it.
var ErrStale = errors.New("user changed during the request")

// staleTries bounds the re-runs of a change that keeps finding its check
// stale: only a burst of changes to the same account can exhaust them.
const staleTries = 3

// RetryStale runs attempt, again while it fails with ErrStale; in the end
// the caller is told to try later.
func RetryStale(attempt func() error) error {
	for range staleTries {
		if err := attempt(); !errors.Is(err, ErrStale) {
			return err
		}
	}
	return core.Errorf(core.ErrGeneralServerBusy, "The account changed during the request. Please try again.")
}

// HasPassword is the one test of whether an account has a password to
// prove. A user without one (anonymous, magic URL, phone, OAuth2, in any
// combination of email and phone) proves themselves by their session
// alone: they change their email, phone or password without a current
// password, and the password given to PATCH email becomes theirs.
func HasPassword(u *core.User) bool { return u.PasswordHash != "" }

// CheckHistory refuses a password among the user's recent ones.
func (a *Accounts) CheckHistory(ctx context.Context, u *core.User, password string) error {
	if a.cfg.PasswordHistory == 0 {
		return nil
	}
	// The history ends with the current hash; an account made before the
	// history was switched on has only the current hash.
	recent := u.PasswordHistory
	if n := len(recent); u.PasswordHash != "" && (n == 0 || recent[n-1] != u.PasswordHash) {
		recent = append(slices.Clone(recent), u.PasswordHash)
	}
	for _, old := range recent {
		ok, _, err := a.hasher.Verify(ctx, password, old)
		if err != nil {
			return err
		}
		if ok {
			return core.NewError(core.ErrPasswordRecentlyUsed)
		}
	}
	return nil
}

// SetPassword hashes password into u and keeps the history at its depth.
func (a *Accounts) SetPassword(ctx context.Context, u *core.User, password string) error {
	hash, err := a.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	a.ApplyPassword(u, hash)
	return nil
}

// ApplyPassword makes hash u's password and keeps the history at its depth.
func (a *Accounts) ApplyPassword(u *core.User, hash string) {
	u.PasswordHash = hash
	u.PasswordUpdate = a.Clock()
	if n := a.cfg.PasswordHistory; n > 0 {
		u.PasswordHistory = append(slices.Clone(u.PasswordHistory), hash)
		if len(u.PasswordHistory) > n {
			u.PasswordHistory = u.PasswordHistory[len(u.PasswordHistory)-n:]
		}
	}
}

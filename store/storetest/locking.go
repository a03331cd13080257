package storetest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// RunLocking checks core.Users.LockUser: inside WithTx, a read-modify-
// write of a user through it loses no concurrent change, and a token spent
// in the transaction of the change it authorises is spent only if the
// change commits.
func RunLocking(t *testing.T, open Opener) {
	ctx := context.Background()
	now := at(0)

	t.Run("Reads", func(t *testing.T) {
		s := open(t)
		want := fullUser("u1", "u1@example.com", "+15550000001")
		mustCreateUser(t, s, want)
		err := s.WithTx(ctx, func(tx core.Store) error {
			got, err := tx.LockUser(ctx, "u1")
			errOf(t, "LockUser", err, nil)
			checkUser(t, "LockUser", got, want)
			_, err = tx.LockUser(ctx, "nobody")
			errOf(t, "LockUser of unknown user", err, core.ErrNotFound)
			return nil
		})
		errOf(t, "WithTx", err, nil)
		got, err := s.LockUser(ctx, "u1")
		errOf(t, "LockUser outside a transaction", err, nil)
		checkUser(t, "LockUser outside a transaction", got, want)
	})

	t.Run("NoLostIncrements", func(t *testing.T) {
		// Each transaction reads a counter and writes it back one higher:
		// any two that read the same value would lose an increment.
		s := open(t)
		mustCreateUser(t, s, &core.User{ID: "u1", Name: "0"})
		const n = 12
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = s.WithTx(ctx, func(tx core.Store) error {
					u, err := tx.LockUser(ctx, "u1")
					if err != nil {
						return err
					}
					v, err := strconv.Atoi(u.Name)
					if err != nil {
						return err
					}
					// Give the others time to read the old value, as
					// they would without the lock.
					time.Sleep(2 * time.Millisecond)
					u.Name = strconv.Itoa(v + 1)
					return tx.UpdateUser(ctx, u)
				})
			})
		}
		wg.Wait()
		for i, err := range errs {
			errOf(t, fmt.Sprintf("transaction %d", i), err, nil)
		}
		got, err := s.UserByID(ctx, "u1")
		errOf(t, "UserByID", err, nil)
		if got.Name != strconv.Itoa(n) {
			t.Errorf("counter = %s after %d increments", got.Name, n)
		}
	})

	t.Run("BlockVersusHashUpgrade", func(t *testing.T) {
		// A hash upgrade holds the user while a block comes in: the block
		// must see the new hash and the upgrade must not undo the block.
		s := open(t)
		mustCreateUser(t, s, &core.User{ID: "u1", Email: "u1@example.com", PasswordHash: "old", Status: true})
		locked := make(chan struct{})
		var wg sync.WaitGroup
		var upgradeErr, blockErr error
		wg.Go(func() {
			upgradeErr = s.WithTx(ctx, func(tx core.Store) error {
				u, err := tx.LockUser(ctx, "u1")
				if err != nil {
					close(locked)
					return err
				}
				close(locked)
				// The block starts now and must wait for this commit.
				time.Sleep(100 * time.Millisecond)
				u.PasswordHash = "new"
				return tx.UpdateUser(ctx, u)
			})
		})
		wg.Go(func() {
			<-locked
			blockErr = s.WithTx(ctx, func(tx core.Store) error {
				u, err := tx.LockUser(ctx, "u1")
				if err != nil {
					return err
				}
				u.Status = false
				return tx.UpdateUser(ctx, u)
			})
		})
		wg.Wait()
		errOf(t, "upgrade", upgradeErr, nil)
		errOf(t, "block", blockErr, nil)
		got, err := s.UserByID(ctx, "u1")
		errOf(t, "UserByID", err, nil)
		if got.PasswordHash != "new" || got.Status {
			t.Errorf("after upgrade and block: hash %q, status %v; want \"new\", false", got.PasswordHash, got.Status)
		}
	})

	t.Run("OneTokenOneChange", func(t *testing.T) {
		// Two recoveries with the same token: exactly one spends it and
		// changes the user, the other changes nothing.
		s, tk := withToken(t, open, core.TokenRecovery)
		const n = 8
		errs := make([]error, n)
		atOnce(n, func(i int) {
			errs[i] = s.WithTx(ctx, func(tx core.Store) error {
				u, err := tx.LockUser(ctx, "u1")
				if err != nil {
					return err
				}
				if _, err := tx.ConsumeToken(ctx, tk.UserID, tk.Type, tk.SecretHash, tk.Target, now); err != nil {
					return err
				}
				u.PasswordHash = fmt.Sprintf("hash-%d", i)
				return tx.UpdateUser(ctx, u)
			})
		})
		winner := -1
		for i, err := range errs {
			if err == nil {
				if winner >= 0 {
					t.Fatalf("transactions %d and %d both spent the token", winner, i)
				}
				winner = i
				continue
			}
			errOf(t, fmt.Sprintf("transaction %d", i), err, core.ErrNotFound)
		}
		if winner < 0 {
			t.Fatal("no transaction spent the token")
		}
		got, err := s.UserByID(ctx, "u1")
		errOf(t, "UserByID", err, nil)
		if want := fmt.Sprintf("hash-%d", winner); got.PasswordHash != want {
			t.Errorf("hash = %q, want the winner's %q", got.PasswordHash, want)
		}
	})

	t.Run("FailedChangeKeepsToken", func(t *testing.T) {
		s := withUsers(t, open)
		tk := fullToken("t1", "u1", core.TokenVerification)
		mustCreateToken(t, s, tk)
		err := s.WithTx(ctx, func(tx core.Store) error {
			u, err := tx.LockUser(ctx, "u1")
			if err != nil {
				return err
			}
			consume(t, tx, "ConsumeToken in tx", tk, now, nil)
			u.EmailVerification = true
			if err := tx.UpdateUser(ctx, u); err != nil {
				return err
			}
			// The change fails after the token was spent.
			return errAbort
		})
		errOf(t, "WithTx", err, errAbort)
		got, err := s.UserByID(ctx, "u1")
		errOf(t, "UserByID", err, nil)
		if got.EmailVerification {
			t.Error("rolled back change was kept")
		}
		consume(t, s, "ConsumeToken after the failed change", tk, now, nil)
	})

	t.Run("RecoveryVersusEmailChange", func(t *testing.T) {
		// A recovery (spend the token sent to the old email, set a
		// password) races an email change (which deletes the user's email
		// tokens). Either the recovery commits first, or it finds the
		// token gone (and the address changed) and changes nothing.
		for round := range 5 {
			s := open(t)
			mustCreateUser(t, s, &core.User{ID: "u1", Email: "old@example.com", PasswordHash: "before"})
			tk := fullToken("t1", "u1", core.TokenRecovery)
			tk.Target = core.TargetHash("old@example.com")
			mustCreateToken(t, s, tk)
			start := make(chan struct{})
			var wg sync.WaitGroup
			var recoveryErr, changeErr error
			wg.Go(func() {
				<-start
				recoveryErr = s.WithTx(ctx, func(tx core.Store) error {
					u, err := tx.LockUser(ctx, "u1")
					if err != nil {
						return err
					}
					if _, err := tx.ConsumeToken(ctx, "u1", tk.Type, tk.SecretHash, core.TargetHash(u.Email), now); err != nil {
						return err
					}
					u.PasswordHash = "recovered"
					return tx.UpdateUser(ctx, u)
				})
			})
			wg.Go(func() {
				<-start
				changeErr = s.WithTx(ctx, func(tx core.Store) error {
					u, err := tx.LockUser(ctx, "u1")
					if err != nil {
						return err
					}
					u.Email = "new@example.com"
					if err := tx.UpdateUser(ctx, u); err != nil {
						return err
					}
					_, err = tx.DeleteUserTokens(ctx, "u1", core.TokenVerification, core.TokenRecovery, core.TokenMagicURL)
					return err
				})
			})
			close(start)
			wg.Wait()
			errOf(t, "email change", changeErr, nil)
			got, err := s.UserByID(ctx, "u1")
			errOf(t, "UserByID", err, nil)
			if got.Email != "new@example.com" {
				t.Errorf("round %d: email %q, want the change kept", round, got.Email)
			}
			switch {
			case recoveryErr == nil && got.PasswordHash != "recovered":
				t.Errorf("round %d: recovery succeeded but hash is %q", round, got.PasswordHash)
			case recoveryErr != nil:
				errOf(t, fmt.Sprintf("round %d recovery", round), recoveryErr, core.ErrNotFound)
				if got.PasswordHash != "before" {
					t.Errorf("round %d: failed recovery left hash %q", round, got.PasswordHash)
				}
			}
			// Whoever won, the token cannot be spent any more.
			consume(t, s, "ConsumeToken after both", tk, now, core.ErrNotFound)
		}
	})
}

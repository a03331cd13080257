package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// errAbort is what the callbacks below return to force a rollback.
var errAbort = errors.New("storetest: abort")

// RunTx checks core.Store.WithTx: commit on nil, rollback of every kind
// of write on error, and reads inside the transaction seeing its writes.
func RunTx(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("Commit", func(t *testing.T) {
		s := open(t)
		err := s.WithTx(ctx, func(tx core.Store) error {
			if err := tx.CreateUser(ctx, fullUser("u1", "u1@example.com", "")); err != nil {
				return err
			}
			// The transaction reads its own writes.
			if _, err := tx.UserByID(ctx, "u1"); err != nil {
				return err
			}
			if _, err := tx.UserByEmail(ctx, "u1@example.com"); err != nil {
				return err
			}
			if err := tx.CreateSession(ctx, fullSession("s1", "u1")); err != nil {
				return err
			}
			list, err := tx.UserSessions(ctx, "u1")
			if err != nil || len(list) != 1 {
				t.Errorf("UserSessions in tx = %d sessions, %v; want 1", len(list), err)
			}
			if err := tx.CreateLog(ctx, fullLog("l1", "u1", at(0))); err != nil {
				return err
			}
			userLogs(t, tx, "u1", 10, 0, []string{"l1"}, 1)
			_, err = tx.SettingOrInit(ctx, "k", []byte("in tx"))
			return err
		})
		errOf(t, "WithTx", err, nil)
		got, err := s.UserByID(ctx, "u1")
		errOf(t, "UserByID after commit", err, nil)
		checkUser(t, "committed user", got, fullUser("u1", "u1@example.com", ""))
		_, err = s.SessionByID(ctx, "s1")
		errOf(t, "SessionByID after commit", err, nil)
		userLogs(t, s, "u1", 10, 0, []string{"l1"}, 1)
		v, err := s.SettingOrInit(ctx, "k", []byte("after"))
		errOf(t, "SettingOrInit after commit", err, nil)
		if string(v) != "in tx" {
			t.Errorf("setting = %q, want %q", v, "in tx")
		}
	})

	t.Run("RollbackOnError", func(t *testing.T) {
		s := open(t)
		mustCreateUser(t, s, &core.User{ID: "existing", Name: "before"})
		mustCreateSession(t, s, minimalSession("old", "existing", at(-time.Hour)))
		mustCreateLog(t, s, fullLog("old-log", "existing", at(-time.Hour)))
		err := s.WithTx(ctx, func(tx core.Store) error {
			steps := []error{
				tx.CreateUser(ctx, fullUser("u1", "u1@example.com", "+15550000001")),
				tx.UpdateUser(ctx, &core.User{ID: "existing", Name: "after"}),
				tx.CreateSession(ctx, fullSession("s1", "u1")),
				tx.DeleteSession(ctx, "old"),
				tx.CreateLog(ctx, fullLog("l1", "existing", at(0))),
			}
			for _, err := range steps {
				if err != nil {
					t.Errorf("write in tx: %v", err)
				}
			}
			if n, err := tx.DeleteLogsBefore(ctx, at(0)); n != 1 || err != nil {
				t.Errorf("DeleteLogsBefore in tx = %d, %v; want 1", n, err)
			}
			userLogs(t, tx, "existing", 10, 0, []string{"l1"}, 1)
			if _, err := tx.SettingOrInit(ctx, "k", []byte("rolled back")); err != nil {
				t.Errorf("SettingOrInit in tx: %v", err)
			}
			return errAbort
		})
		errOf(t, "WithTx", err, errAbort)
		_, err = s.UserByID(ctx, "u1")
		errOf(t, "UserByID of rolled back user", err, core.ErrNotFound)
		_, err = s.UserByEmail(ctx, "u1@example.com")
		errOf(t, "UserByEmail of rolled back user", err, core.ErrNotFound)
		_, err = s.UserByPhone(ctx, "+15550000001")
		errOf(t, "UserByPhone of rolled back user", err, core.ErrNotFound)
		got, err := s.UserByID(ctx, "existing")
		errOf(t, "UserByID existing", err, nil)
		checkUser(t, "update rolled back", got, &core.User{ID: "existing", Name: "before"})
		_, err = s.SessionByID(ctx, "s1")
		errOf(t, "SessionByID of rolled back session", err, core.ErrNotFound)
		_, err = s.SessionByID(ctx, "old")
		errOf(t, "SessionByID of undeleted session", err, nil)
		// The created entry is gone and the deleted one is back.
		userLogs(t, s, "existing", 10, 0, []string{"old-log"}, 1)
		v, err := s.SettingOrInit(ctx, "k", []byte("kept"))
		errOf(t, "SettingOrInit after rollback", err, nil)
		if string(v) != "kept" {
			t.Errorf("setting = %q, want %q", v, "kept")
		}
		// The store is still usable for writes.
		mustCreateUser(t, s, fullUser("u1", "u1@example.com", "+15550000001"))
	})

	t.Run("ConflictInTx", func(t *testing.T) {
		s := open(t)
		mustCreateUser(t, s, &core.User{ID: "u1", Email: "taken@example.com"})
		err := s.WithTx(ctx, func(tx core.Store) error {
			if err := tx.CreateUser(ctx, &core.User{ID: "u2"}); err != nil {
				return err
			}
			return tx.CreateUser(ctx, &core.User{ID: "u3", Email: "taken@example.com"})
		})
		errOf(t, "WithTx", err, core.ErrConflict)
		_, err = s.UserByID(ctx, "u2")
		errOf(t, "UserByID u2", err, core.ErrNotFound)
	})
}

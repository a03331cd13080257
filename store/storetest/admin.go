package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// userIDs lists the ids of us in order.
func userIDs(us []*core.User) []string {
	ids := make([]string, 0, len(us))
	for _, u := range us {
		ids = append(ids, u.ID)
	}
	return ids
}

// listUsers calls ListUsers and checks the ids it returns.
func listUsers(t *testing.T, s core.Store, after string, limit int, want ...string) []*core.User {
	t.Helper()
	what := fmt.Sprintf("ListUsers(after %q, limit %d)", after, limit)
	list, err := s.ListUsers(context.Background(), after, limit)
	errOf(t, what, err, nil)
	if got := userIDs(list); !slices.Equal(got, append([]string{}, want...)) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
	return list
}

// RunAdmin checks what the operators' tools use: ListUsers and DeleteUser.
func RunAdmin(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("ListInCreationOrder", func(t *testing.T) {
		s := open(t)
		// Neither alphabetical nor by time field: creation order alone.
		order := []string{"zed", "Amy", "a-b", "bob", "_x"}
		for i, id := range order {
			u := fullUser(id, id+"@example.com", "")
			u.CreatedAt = at(-time.Duration(i) * time.Hour)
			mustCreateUser(t, s, u)
		}
		all := listUsers(t, s, "", 100, order...)
		want := fullUser("a-b", "a-b@example.com", "")
		want.CreatedAt = at(-2 * time.Hour)
		checkUser(t, "ListUsers a-b", all[2], want)

		// Every page size walks the same list, each user once.
		for limit := 1; limit <= 6; limit++ {
			var walked []string
			after := ""
			for range len(order) + 1 {
				list, err := s.ListUsers(ctx, after, limit)
				errOf(t, "ListUsers page", err, nil)
				if len(list) > limit {
					t.Fatalf("limit %d: page of %d", limit, len(list))
				}
				if len(list) == 0 {
					break
				}
				walked = append(walked, userIDs(list)...)
				after = list[len(list)-1].ID
			}
			if !slices.Equal(walked, order) {
				t.Errorf("limit %d walked %v, want %v", limit, walked, order)
			}
		}
		listUsers(t, s, "Amy", 2, "a-b", "bob")
		listUsers(t, s, "_x", 10)
		_, err := s.ListUsers(ctx, "nobody", 10)
		errOf(t, "ListUsers after an unknown user", err, core.ErrNotFound)

		// A deleted user leaves no gap in the order of the others.
		errOf(t, "DeleteUser a-b", s.DeleteUser(ctx, "a-b"), nil)
		listUsers(t, s, "Amy", 10, "bob", "_x")
	})

	t.Run("ListEmpty", func(t *testing.T) {
		s := open(t)
		listUsers(t, s, "", 10)
	})

	t.Run("DeleteRemovesEverything", func(t *testing.T) {
		s := withUsers(t, open)
		for _, u := range []string{"u1", "u2"} {
			mustCreateSession(t, s, fullSession("s-"+u, u))
			mustCreateToken(t, s, fullToken("t-"+u, u, core.TokenRecovery))
			errOf(t, "CreateIdentity", s.CreateIdentity(ctx, &core.LinkedIdentity{ID: "i-" + u, UserID: u,
				Provider: "github", ProviderUID: "gh-" + u, CreatedAt: at(0)}), nil)
			mustCreateLog(t, s, fullLog("l-"+u, u, at(time.Minute)))
		}

		errOf(t, "DeleteUser u1", s.DeleteUser(ctx, "u1"), nil)

		_, err := s.UserByID(ctx, "u1")
		errOf(t, "UserByID u1", err, core.ErrNotFound)
		_, err = s.SessionByID(ctx, "s-u1")
		errOf(t, "SessionByID s-u1", err, core.ErrNotFound)
		_, err = s.SessionBySecretHash(ctx, fullSession("s-u1", "u1").SecretHash)
		errOf(t, "SessionBySecretHash s-u1", err, core.ErrNotFound)
		tk := fullToken("t-u1", "u1", core.TokenRecovery)
		_, err = s.ConsumeToken(ctx, "u1", tk.Type, tk.SecretHash, tk.Target, at(0))
		errOf(t, "ConsumeToken t-u1", err, core.ErrNotFound)
		_, err = s.IdentityByProvider(ctx, "github", "gh-u1")
		errOf(t, "IdentityByProvider gh-u1", err, core.ErrNotFound)
		if ids, err := s.UserIdentities(ctx, "u1"); err != nil || len(ids) != 0 {
			t.Errorf("UserIdentities u1 = %v, %v; want none", ids, err)
		}
		userLogs(t, s, "u1", 10, 0, []string{}, 0)

		// The other user keeps everything.
		_, err = s.UserByID(ctx, "u2")
		errOf(t, "UserByID u2", err, nil)
		_, err = s.SessionByID(ctx, "s-u2")
		errOf(t, "SessionByID s-u2", err, nil)
		tk = fullToken("t-u2", "u2", core.TokenRecovery)
		_, err = s.ConsumeToken(ctx, "u2", tk.Type, tk.SecretHash, tk.Target, at(0))
		errOf(t, "ConsumeToken t-u2", err, nil)
		_, err = s.IdentityByProvider(ctx, "github", "gh-u2")
		errOf(t, "IdentityByProvider gh-u2", err, nil)
		userLogs(t, s, "u2", 10, 0, []string{"l-u2"}, 1)

		errOf(t, "DeleteUser u1 again", s.DeleteUser(ctx, "u1"), core.ErrNotFound)
		errOf(t, "DeleteUser unknown", s.DeleteUser(ctx, "nobody"), core.ErrNotFound)
		// The id and the email are free again.
		mustCreateUser(t, s, &core.User{ID: "u1", Email: "u1@example.com"})
		if list, err := s.UserSessions(ctx, "u1"); err != nil || len(list) != 0 {
			t.Errorf("UserSessions of the new u1 = %v, %v; want none", sessionIDs(list), err)
		}
	})

	t.Run("DeleteInRolledBackTx", func(t *testing.T) {
		s := withUsers(t, open)
		mustCreateSession(t, s, fullSession("s1", "u1"))
		mustCreateLog(t, s, fullLog("l1", "u1", at(0)))
		boom := errors.New("boom")
		err := s.WithTx(ctx, func(tx core.Store) error {
			if err := tx.DeleteUser(ctx, "u1"); err != nil {
				return err
			}
			return boom
		})
		errOf(t, "WithTx", err, boom)
		_, err = s.UserByID(ctx, "u1")
		errOf(t, "UserByID after rollback", err, nil)
		_, err = s.SessionByID(ctx, "s1")
		errOf(t, "SessionByID after rollback", err, nil)
		userLogs(t, s, "u1", 10, 0, []string{"l1"}, 1)
	})
}

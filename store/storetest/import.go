package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/accountgate/accountgate/account/core"
)

// RunImport tests core.UserImporter, which every backend implements:
// new users are stored field for field, a user whose id is stored is
// left alone, one whose email or phone is taken is not stored, and a
// second run of the same users stores nothing.
func RunImport(t *testing.T, open Opener) {
	ctx := context.Background()
	importer := func(t *testing.T) (core.Store, core.UserImporter) {
		s := open(t)
		im, ok := s.(core.UserImporter)
		if !ok {
			t.Fatalf("%T does not implement core.UserImporter", s)
		}
		return s, im
	}

	t.Run("fields, existing ids and taken keys", func(t *testing.T) {
		s, im := importer(t)
		stored := fullUser("stored", "stored@example.com", "+15550000001")
		mustCreateUser(t, s, stored)
		users := []*core.User{
			fullUser("new1", "new1@example.com", "+15550000002"),
			// No email, no phone: several of those fit.
			{ID: "bare1", CreatedAt: at(0), Status: true},
			{ID: "bare2", CreatedAt: at(0)},
			// Its id is stored: left as it is, whatever the fields say.
			fullUser("stored", "other@example.com", ""),
			// Email or phone of another user, stored or earlier here.
			fullUser("taken1", "stored@example.com", ""),
			fullUser("taken2", "", "+15550000001"),
			fullUser("taken3", "NEW1@example.com", ""),
			fullUser("taken4", "new1@example.com", ""),
			// The same id twice, alike: the second finds the first.
			fullUser("twice", "twice@example.com", ""),
			fullUser("twice", "twice@example.com", ""),
			// The same id twice, the first with a taken email: the
			// second, free, goes in.
			fullUser("second", "stored@example.com", ""),
			fullUser("second", "second@example.com", ""),
		}
		// Emails are stored lowercased by the service; the store compares
		// bytes, so NEW1 is another email to it.
		users[6].Email = "new1@example.com"
		got, err := im.ImportUsers(ctx, users)
		errOf(t, "ImportUsers", err, nil)
		want := []core.ImportResult{core.ImportCreated, core.ImportCreated, core.ImportCreated,
			core.ImportExists, core.ImportTaken, core.ImportTaken, core.ImportTaken, core.ImportTaken,
			core.ImportCreated, core.ImportExists, core.ImportTaken, core.ImportCreated}
		if !slices.Equal(got, want) {
			t.Fatalf("results %v, want %v", got, want)
		}
		for _, i := range []int{0, 1, 2, 8, 11} {
			u, err := s.UserByID(ctx, users[i].ID)
			errOf(t, "UserByID "+users[i].ID, err, nil)
			checkUser(t, "imported "+users[i].ID, u, users[i])
		}
		u, err := s.UserByID(ctx, "stored")
		errOf(t, "UserByID stored", err, nil)
		checkUser(t, "stored user after import", u, stored)
		for _, id := range []string{"taken1", "taken2", "taken3", "taken4"} {
			_, err := s.UserByID(ctx, id)
			errOf(t, "UserByID "+id, err, core.ErrNotFound)
		}

		// A second run stores nothing and says so.
		again, err := im.ImportUsers(ctx, users)
		errOf(t, "ImportUsers again", err, nil)
		for i, r := range again {
			if r == core.ImportCreated {
				t.Fatalf("second run created user %d (%s)", i, users[i].ID)
			}
		}
		list, err := s.ListUsers(ctx, "", 100)
		errOf(t, "ListUsers", err, nil)
		if len(list) != 6 {
			t.Fatalf("%d users after two runs, want 6", len(list))
		}
	})

	t.Run("many, across batches", func(t *testing.T) {
		s, im := importer(t)
		const n = 2500
		users := make([]*core.User, n)
		for i := range users {
			users[i] = &core.User{ID: fmt.Sprintf("u%05d", i), Email: fmt.Sprintf("u%05d@example.com", i),
				CreatedAt: at(0), PasswordHash: "$plain-md5$144fa7eaa4904e8ee120651997f70dcc", Status: true}
		}
		// The last one's email is the first one's: taken, in another batch.
		users[n-1].Email = users[0].Email
		got, err := im.ImportUsers(ctx, users)
		errOf(t, "ImportUsers", err, nil)
		for i, r := range got {
			want := core.ImportCreated
			if i == n-1 {
				want = core.ImportTaken
			}
			if r != want {
				t.Fatalf("user %d: %v, want %v", i, r, want)
			}
		}
		u, err := s.UserByID(ctx, "u01999")
		errOf(t, "UserByID", err, nil)
		checkUser(t, "u01999", u, users[1999])
	})

	t.Run("empty", func(t *testing.T) {
		_, im := importer(t)
		got, err := im.ImportUsers(ctx, nil)
		errOf(t, "ImportUsers(nil)", err, nil)
		if len(got) != 0 {
			t.Fatalf("results %v", got)
		}
	})
}

package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// RunAccess checks what today's response formats need of a store:
// TouchUser's throttled accessedAt, ExtendSession, and listing and
// deleting a user's identities.
func RunAccess(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("TouchUserThrottled", func(t *testing.T) {
		s := open(t)
		mustCreateUser(t, s, &core.User{ID: "u1", Email: "u1@example.com", AccessedAt: at(0)})
		touch := func(when time.Time, want bool) {
			t.Helper()
			wrote, err := s.TouchUser(ctx, "u1", when, time.Hour)
			errOf(t, "TouchUser", err, nil)
			if wrote != want {
				t.Fatalf("TouchUser at %v wrote = %v, want %v", when, wrote, want)
			}
		}
		check := func(want time.Time) {
			t.Helper()
			u, err := s.UserByID(ctx, "u1")
			errOf(t, "UserByID", err, nil)
			if !u.AccessedAt.Equal(want) {
				t.Fatalf("AccessedAt = %v, want %v", u.AccessedAt, want)
			}
		}
		// Within the hour nothing is written.
		touch(at(59*time.Minute), false)
		check(at(0))
		// An hour later it is, once.
		touch(at(time.Hour+7*time.Millisecond), true)
		check(at(time.Hour + 7*time.Millisecond))
		touch(at(time.Hour+8*time.Millisecond), false)
		check(at(time.Hour + 7*time.Millisecond))
		// UpdateUser leaves it alone, even with an older copy of the user.
		u, err := s.UserByID(ctx, "u1")
		errOf(t, "UserByID", err, nil)
		u.AccessedAt, u.Name = at(0), "renamed"
		errOf(t, "UpdateUser", s.UpdateUser(ctx, u), nil)
		check(at(time.Hour + 7*time.Millisecond))
		// A user never seen is written at once; an unknown one is not.
		mustCreateUser(t, s, &core.User{ID: "u2", Email: "u2@example.com"})
		wrote, err := s.TouchUser(ctx, "u2", at(0), time.Hour)
		errOf(t, "TouchUser u2", err, nil)
		if !wrote {
			t.Fatal("TouchUser of a user never seen wrote nothing")
		}
		wrote, err = s.TouchUser(ctx, "nope", at(0), time.Hour)
		errOf(t, "TouchUser unknown", err, nil)
		if wrote {
			t.Fatal("TouchUser of an unknown user wrote")
		}
	})

	t.Run("ExtendSession", func(t *testing.T) {
		s := withUsers(t, open)
		mustCreateSession(t, s, fullSession("s1", "u1"))
		mustCreateSession(t, s, fullSession("s2", "u1"))
		expire, updated := at(60*24*time.Hour+9*time.Millisecond), at(2*time.Hour+1*time.Millisecond)
		errOf(t, "ExtendSession", s.ExtendSession(ctx, "s1", expire, updated), nil)
		got, err := s.SessionByID(ctx, "s1")
		errOf(t, "SessionByID", err, nil)
		want := fullSession("s1", "u1")
		want.Expire, want.UpdatedAt = expire, updated
		checkSession(t, "after ExtendSession", got, want)
		// The other session is untouched.
		got, err = s.SessionByID(ctx, "s2")
		errOf(t, "SessionByID s2", err, nil)
		checkSession(t, "other session", got, fullSession("s2", "u1"))
		errOf(t, "ExtendSession missing", s.ExtendSession(ctx, "nope", expire, updated), core.ErrNotFound)
	})

	t.Run("UserIdentitiesAndDelete", func(t *testing.T) {
		s := withUsers(t, open)
		ids := []*core.LinkedIdentity{
			{ID: "i2", UserID: "u1", Provider: "github", ProviderUID: "g1", ProviderEmail: "u1@example.com", CreatedAt: at(time.Minute)},
			{ID: "i1", UserID: "u1", Provider: "google", ProviderUID: "sub-1", CreatedAt: at(2 * time.Minute)},
			{ID: "i3", UserID: "u2", Provider: "github", ProviderUID: "g2", CreatedAt: at(0)},
		}
		for _, i := range ids {
			errOf(t, "CreateIdentity "+i.ID, s.CreateIdentity(ctx, i), nil)
		}
		list := func(user string) []string {
			t.Helper()
			got, err := s.UserIdentities(ctx, user)
			errOf(t, "UserIdentities", err, nil)
			var out []string
			for _, i := range got {
				out = append(out, i.ID)
			}
			return out
		}
		// Insertion order, oldest first, whatever the ids.
		if got := list("u1"); !slices.Equal(got, []string{"i2", "i1"}) {
			t.Fatalf("UserIdentities(u1) = %v, want [i2 i1]", got)
		}
		all, _ := s.UserIdentities(ctx, "u1")
		if *all[0] != *ids[0] || !all[0].CreatedAt.Equal(ids[0].CreatedAt) {
			t.Errorf("identity = %+v, want %+v", all[0], ids[0])
		}
		if got := list("nobody"); len(got) != 0 {
			t.Fatalf("UserIdentities(nobody) = %v, want none", got)
		}
		// Another user's identity is not found, and stays.
		errOf(t, "DeleteIdentity other user's", s.DeleteIdentity(ctx, "u1", "i3"), core.ErrNotFound)
		errOf(t, "DeleteIdentity", s.DeleteIdentity(ctx, "u1", "i2"), nil)
		errOf(t, "DeleteIdentity again", s.DeleteIdentity(ctx, "u1", "i2"), core.ErrNotFound)
		if got := list("u1"); !slices.Equal(got, []string{"i1"}) {
			t.Fatalf("after delete UserIdentities(u1) = %v, want [i1]", got)
		}
		if got := list("u2"); !slices.Equal(got, []string{"i3"}) {
			t.Fatalf("UserIdentities(u2) = %v, want [i3]", got)
		}
		// The pair is free again: the provider account can be linked anew.
		_, err := s.IdentityByProvider(ctx, "github", "g1")
		errOf(t, "IdentityByProvider deleted", err, core.ErrNotFound)
	})
}

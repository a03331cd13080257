package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// RunIdentities checks core.Identities and UpdateSessionTokens.
func RunIdentities(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("LinkAndFind", func(t *testing.T) {
		s := withUsers(t, open)
		want := &core.LinkedIdentity{ID: "i1", UserID: "u1", Provider: "github", ProviderUID: "12345",
			ProviderEmail: "u1@example.com", CreatedAt: at(time.Minute)}
		errOf(t, "CreateIdentity", s.CreateIdentity(ctx, want), nil)
		got, err := s.IdentityByProvider(ctx, "github", "12345")
		errOf(t, "IdentityByProvider", err, nil)
		if *got != *want || !got.CreatedAt.Equal(want.CreatedAt) {
			t.Errorf("identity = %+v, want %+v", got, want)
		}
		// The same provider user id at another provider is another identity.
		_, err = s.IdentityByProvider(ctx, "gitlab", "12345")
		errOf(t, "IdentityByProvider other provider", err, core.ErrNotFound)
		errOf(t, "CreateIdentity gitlab", s.CreateIdentity(ctx, &core.LinkedIdentity{ID: "i2", UserID: "u2",
			Provider: "gitlab", ProviderUID: "12345", CreatedAt: at(0)}), nil)
	})

	t.Run("NeverMoved", func(t *testing.T) {
		s := withUsers(t, open)
		errOf(t, "CreateIdentity", s.CreateIdentity(ctx, &core.LinkedIdentity{ID: "i1", UserID: "u1",
			Provider: "google", ProviderUID: "sub-1", CreatedAt: at(0)}), nil)
		err := s.CreateIdentity(ctx, &core.LinkedIdentity{ID: "i2", UserID: "u2", Provider: "google",
			ProviderUID: "sub-1", CreatedAt: at(0)})
		errOf(t, "CreateIdentity taken pair", err, core.ErrConflict)
		got, _ := s.IdentityByProvider(ctx, "google", "sub-1")
		if got == nil || got.UserID != "u1" {
			t.Errorf("identity moved to %+v", got)
		}
	})

	t.Run("UpdateSessionTokens", func(t *testing.T) {
		s := withUsers(t, open)
		mustCreateSession(t, s, fullSession("s1", "u1"))
		expiry := at(2*time.Hour + 5*time.Millisecond)
		errOf(t, "UpdateSessionTokens", s.UpdateSessionTokens(ctx, "s1", "new-access", "new-refresh", expiry), nil)
		got, err := s.SessionByID(ctx, "s1")
		errOf(t, "SessionByID", err, nil)
		want := fullSession("s1", "u1")
		want.ProviderAccessToken, want.ProviderRefreshToken, want.ProviderAccessTokenExpiry = "new-access", "new-refresh", expiry
		checkSession(t, "after UpdateSessionTokens", got, want)
		errOf(t, "UpdateSessionTokens missing", s.UpdateSessionTokens(ctx, "nope", "a", "r", expiry), core.ErrNotFound)
	})
}

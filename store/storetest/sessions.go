package storetest

import (
	"context"
	"crypto/sha256"
	"slices"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// hash returns the SHA-256 of secret, as the service stores it.
func hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// fullSession returns a session of userID with every field set.
func fullSession(id, userID string) *core.Session {
	return &core.Session{
		ID:                        id,
		UserID:                    userID,
		CreatedAt:                 at(0),
		UpdatedAt:                 at(5 * time.Minute),
		Expire:                    at(30 * 24 * time.Hour),
		Provider:                  "github",
		ProviderUID:               "gh-" + id,
		ProviderAccessToken:       "access-" + id,
		ProviderRefreshToken:      "refresh-" + id,
		ProviderAccessTokenExpiry: at(time.Hour + 999*time.Millisecond),
		SecretHash:                hash("secret-" + id),
		IP:                        "2001:db8::1",
		UserAgent:                 "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
		CountryCode:               "fr",
		Device: core.Device{
			OSCode: "LIN", OSName: "GNU/Linux", OSVersion: "6.1",
			ClientType: "browser", ClientCode: "FF", ClientName: "Firefox",
			ClientVersion: "140.0", ClientEngine: "Gecko", ClientEngineVersion: "140.0",
			DeviceName: "desktop", DeviceBrand: "Framework", DeviceModel: "Laptop 13",
		},
	}
}

// minimalSession returns a session with only the required fields.
func minimalSession(id, userID string, expire time.Time) *core.Session {
	return &core.Session{ID: id, UserID: userID, Expire: expire, SecretHash: hash(id)}
}

// withUsers returns a fresh store holding users u1 and u2.
func withUsers(t *testing.T, open Opener) core.Store {
	t.Helper()
	s := open(t)
	mustCreateUser(t, s, &core.User{ID: "u1", Email: "u1@example.com"})
	mustCreateUser(t, s, &core.User{ID: "u2", Email: "u2@example.com"})
	return s
}

// RunSessions checks core.Sessions: round-trips, lookups, listing order,
// deletion and conflicts.
func RunSessions(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("RoundTrip", func(t *testing.T) {
		s := withUsers(t, open)
		// A hash with zero bytes and high bits set must survive as binary.
		odd := minimalSession("s-min", "u1", time.Time{})
		odd.SecretHash = []byte{0, 0xff, 0, 0x80, 'a', 0}
		for _, want := range []*core.Session{fullSession("s-full", "u1"), odd} {
			mustCreateSession(t, s, want)
			got, err := s.SessionByID(ctx, want.ID)
			errOf(t, "SessionByID "+want.ID, err, nil)
			checkSession(t, "SessionByID "+want.ID, got, want)
			got, err = s.SessionBySecretHash(ctx, want.SecretHash)
			errOf(t, "SessionBySecretHash "+want.ID, err, nil)
			checkSession(t, "SessionBySecretHash "+want.ID, got, want)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		s := withUsers(t, open)
		mustCreateSession(t, s, fullSession("s1", "u1"))
		_, err := s.SessionByID(ctx, "missing")
		errOf(t, "SessionByID", err, core.ErrNotFound)
		_, err = s.SessionBySecretHash(ctx, hash("other"))
		errOf(t, "SessionBySecretHash", err, core.ErrNotFound)
		// A prefix of a stored hash is not a match.
		_, err = s.SessionBySecretHash(ctx, fullSession("s1", "u1").SecretHash[:16])
		errOf(t, "SessionBySecretHash prefix", err, core.ErrNotFound)
	})

	t.Run("Conflicts", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			session *core.Session
		}{
			{"DuplicateID", minimalSession("s1", "u2", at(time.Hour))},
			{"DuplicateSecretHash", &core.Session{ID: "s2", UserID: "u2", SecretHash: hash("secret-s1")}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := withUsers(t, open)
				first := fullSession("s1", "u1")
				mustCreateSession(t, s, first)
				errOf(t, "CreateSession", s.CreateSession(ctx, tc.session), core.ErrConflict)
				got, err := s.SessionByID(ctx, "s1")
				errOf(t, "SessionByID", err, nil)
				checkSession(t, "after conflict", got, first)
				list, err := s.UserSessions(ctx, "u2")
				errOf(t, "UserSessions u2", err, nil)
				if len(list) != 0 {
					t.Errorf("u2 has sessions %v after a rejected create", sessionIDs(list))
				}
			})
		}
	})

	t.Run("UserSessionsOrder", func(t *testing.T) {
		s := withUsers(t, open)
		// Ids sort against creation order and CreatedAt is the same for
		// all, so only creation order gives the expected list.
		for _, id := range []string{"s-c", "s-b", "s-z", "s-a"} {
			owner := "u1"
			if id == "s-z" {
				owner = "u2"
			}
			mustCreateSession(t, s, minimalSession(id, owner, at(time.Hour)))
		}
		// Expired sessions are listed too.
		mustCreateSession(t, s, minimalSession("s-expired", "u1", at(-time.Hour)))
		for _, tc := range []struct {
			user string
			want []string
		}{
			{"u1", []string{"s-c", "s-b", "s-a", "s-expired"}},
			{"u2", []string{"s-z"}},
			{"nobody", []string{}},
		} {
			list, err := s.UserSessions(ctx, tc.user)
			errOf(t, "UserSessions "+tc.user, err, nil)
			if got := sessionIDs(list); !slices.Equal(got, tc.want) {
				t.Errorf("UserSessions(%s) = %v, want %v", tc.user, got, tc.want)
			}
		}
		list, err := s.UserSessions(ctx, "u1")
		errOf(t, "UserSessions", err, nil)
		checkSession(t, "listed session", list[0], minimalSession("s-c", "u1", at(time.Hour)))
	})

	t.Run("Delete", func(t *testing.T) {
		s := withUsers(t, open)
		mustCreateSession(t, s, fullSession("s1", "u1"))
		mustCreateSession(t, s, fullSession("s2", "u1"))
		errOf(t, "DeleteSession", s.DeleteSession(ctx, "s1"), nil)
		_, err := s.SessionByID(ctx, "s1")
		errOf(t, "SessionByID deleted", err, core.ErrNotFound)
		_, err = s.SessionBySecretHash(ctx, hash("secret-s1"))
		errOf(t, "SessionBySecretHash deleted", err, core.ErrNotFound)
		errOf(t, "DeleteSession again", s.DeleteSession(ctx, "s1"), core.ErrNotFound)
		errOf(t, "DeleteSession missing", s.DeleteSession(ctx, "missing"), core.ErrNotFound)
		list, err := s.UserSessions(ctx, "u1")
		errOf(t, "UserSessions", err, nil)
		if got := sessionIDs(list); !slices.Equal(got, []string{"s2"}) {
			t.Errorf("UserSessions = %v, want [s2]", got)
		}
		// The secret hash of a deleted session can be used again.
		mustCreateSession(t, s, fullSession("s1", "u2"))
	})

	t.Run("DeleteExpired", func(t *testing.T) {
		s := withUsers(t, open)
		now := at(0)
		for _, ss := range []*core.Session{
			minimalSession("long-gone", "u1", now.Add(-30*24*time.Hour)),
			minimalSession("just-gone", "u2", now.Add(-time.Millisecond)),
			minimalSession("at-now", "u1", now),
			minimalSession("soon", "u1", now.Add(time.Millisecond)),
			minimalSession("later", "u2", now.Add(24*time.Hour)),
		} {
			mustCreateSession(t, s, ss)
		}
		n, err := s.DeleteExpiredSessions(ctx, now)
		errOf(t, "DeleteExpiredSessions", err, nil)
		if n != 2 {
			t.Errorf("DeleteExpiredSessions = %d, want 2", n)
		}
		for id, want := range map[string]error{
			"long-gone": core.ErrNotFound, "just-gone": core.ErrNotFound,
			"at-now": nil, "soon": nil, "later": nil,
		} {
			_, err := s.SessionByID(ctx, id)
			errOf(t, "SessionByID "+id, err, want)
		}
		n, err = s.DeleteExpiredSessions(ctx, now)
		errOf(t, "DeleteExpiredSessions again", err, nil)
		if n != 0 {
			t.Errorf("second DeleteExpiredSessions = %d, want 0", n)
		}
		n, err = s.DeleteExpiredSessions(ctx, now.Add(48*time.Hour))
		errOf(t, "DeleteExpiredSessions later", err, nil)
		if n != 3 {
			t.Errorf("DeleteExpiredSessions two days on = %d, want 3", n)
		}
	})
}

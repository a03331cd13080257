package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// fullUser returns a user with every field set, each to a distinct value.
func fullUser(id, email, phone string) *core.User {
	return &core.User{
		ID:        id,
		CreatedAt: at(0),
		UpdatedAt: at(time.Hour + 1*time.Millisecond),
		Name:      "Ada Lovelace " + id,
		Email:     email,
		Phone:     phone,
		// A modular-crypt string has '$' and '/' a backend must not mangle.
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaC8rPQ",
		// Another zone: the instant must survive, whatever zone comes back.
		PasswordUpdate:    at(2*time.Hour + 2*time.Millisecond).In(time.FixedZone("UTC+5", 5*3600)),
		Registration:      at(-24 * time.Hour),
		Status:            true,
		EmailVerification: true,
		PhoneVerification: true,
		Prefs:             json.RawMessage(`{"theme":"dark","n":2,"nested":{"a":[1,"x"]}}`),
		// Oldest first; the order must survive.
		PasswordHistory: []string{
			"$2y$10$b2xkZXN0LW9mLWFsbA",
			"$argon2id$v=19$m=65536,t=3,p=4$c2FsdDI$bWlkZGxl",
			"$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaC8rPQ",
		},
		AccessedAt: at(3*time.Hour + 3*time.Millisecond),
		// Not in alphabetical order: the order given must survive.
		Labels: []string{"vip", "Admin", "beta2"},
	}
}

// RunUsers checks core.Users: round-trips, conflicts, misses and updates.
func RunUsers(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("RoundTrip", func(t *testing.T) {
		s := open(t)
		minimal := &core.User{ID: "u-min"}
		unicode := fullUser("u-uni", "zoë@example.org", "+33612345678")
		unicode.Name = "Zoë 山田 🙂"
		unicode.Status, unicode.EmailVerification = false, false
		unicode.Prefs = nil
		for _, u := range []*core.User{fullUser("u-full", "ada@example.com", "+15551234567"), minimal, unicode} {
			mustCreateUser(t, s, u)
			got, err := s.UserByID(ctx, u.ID)
			errOf(t, "UserByID "+u.ID, err, nil)
			checkUser(t, "UserByID "+u.ID, got, u)
			if u.Email != "" {
				got, err = s.UserByEmail(ctx, u.Email)
				errOf(t, "UserByEmail "+u.Email, err, nil)
				checkUser(t, "UserByEmail "+u.Email, got, u)
			}
			if u.Phone != "" {
				got, err = s.UserByPhone(ctx, u.Phone)
				errOf(t, "UserByPhone "+u.Phone, err, nil)
				checkUser(t, "UserByPhone "+u.Phone, got, u)
			}
		}
	})

	t.Run("ZeroTimesAndEmptyFields", func(t *testing.T) {
		s := open(t)
		mustCreateUser(t, s, &core.User{ID: "u1"})
		got, err := s.UserByID(ctx, "u1")
		errOf(t, "UserByID", err, nil)
		for name, tm := range map[string]time.Time{
			"CreatedAt": got.CreatedAt, "UpdatedAt": got.UpdatedAt,
			"PasswordUpdate": got.PasswordUpdate, "Registration": got.Registration,
		} {
			if !tm.IsZero() {
				t.Errorf("%s = %v, want the zero time", name, tm)
			}
		}
		if got.Email != "" || got.Phone != "" || got.PasswordHash != "" || got.Name != "" {
			t.Errorf("empty strings came back as %+v", got)
		}
		if len(got.PasswordHistory) != 0 {
			t.Errorf("PasswordHistory = %q, want none", got.PasswordHistory)
		}
		var prefs map[string]any
		if err := json.Unmarshal(got.Prefs, &prefs); err != nil || len(prefs) != 0 {
			t.Errorf("Prefs = %q, want {} (err %v)", got.Prefs, err)
		}
	})

	t.Run("PasswordHistory", func(t *testing.T) {
		s := open(t)
		empty := &core.User{ID: "u-empty", PasswordHistory: []string{}}
		mustCreateUser(t, s, empty)
		got, err := s.UserByID(ctx, "u-empty")
		errOf(t, "UserByID u-empty", err, nil)
		if len(got.PasswordHistory) != 0 {
			t.Errorf("empty PasswordHistory came back as %q", got.PasswordHistory)
		}

		u := &core.User{ID: "u1", Email: "u1@example.com"}
		mustCreateUser(t, s, u)
		for _, history := range [][]string{
			{"h1"},
			{"h1", "h2", "h3"},
			// Dropping the oldest, as a capped history does.
			{"h2", "h3", "h4"},
			// Hashes that JSON must escape.
			{`"quoted"`, `back\slash`, "tab\there", "zoë"},
			nil,
		} {
			u.PasswordHistory = history
			errOf(t, "UpdateUser", s.UpdateUser(ctx, u), nil)
			got, err := s.UserByID(ctx, "u1")
			errOf(t, "UserByID", err, nil)
			checkUser(t, fmt.Sprintf("history %q", history), got, u)
			got, err = s.UserByEmail(ctx, "u1@example.com")
			errOf(t, "UserByEmail", err, nil)
			checkUser(t, fmt.Sprintf("history %q by email", history), got, u)
		}
	})

	t.Run("Labels", func(t *testing.T) {
		s := open(t)
		u := fullUser("u1", "u1@example.com", "")
		mustCreateUser(t, s, u)
		for _, labels := range [][]string{{"b", "a"}, nil, {"x"}, {"Z", "z", "y1"}} {
			errOf(t, "SetUserLabels", s.SetUserLabels(ctx, "u1", labels), nil)
			u.Labels = labels
			got, err := s.UserByID(ctx, "u1")
			errOf(t, "UserByID", err, nil)
			checkUser(t, fmt.Sprintf("labels %q", labels), got, u)
		}
		// UpdateUser writes them too.
		u.Labels = []string{"admin"}
		errOf(t, "UpdateUser", s.UpdateUser(ctx, u), nil)
		got, err := s.UserByEmail(ctx, "u1@example.com")
		errOf(t, "UserByEmail", err, nil)
		checkUser(t, "labels by UpdateUser", got, u)
		errOf(t, "SetUserLabels of nobody", s.SetUserLabels(ctx, "nobody", []string{"a"}), core.ErrNotFound)
	})

	t.Run("ManyUsersWithoutEmailOrPhone", func(t *testing.T) {
		s := open(t)
		for _, id := range []string{"a", "b", "c"} {
			mustCreateUser(t, s, &core.User{ID: id, Name: id})
		}
		for _, id := range []string{"a", "b", "c"} {
			got, err := s.UserByID(ctx, id)
			errOf(t, "UserByID "+id, err, nil)
			checkUser(t, "UserByID "+id, got, &core.User{ID: id, Name: id})
		}
		_, err := s.UserByEmail(ctx, "")
		errOf(t, `UserByEmail("")`, err, core.ErrNotFound)
		_, err = s.UserByPhone(ctx, "")
		errOf(t, `UserByPhone("")`, err, core.ErrNotFound)
	})

	t.Run("CreateConflicts", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			user *core.User
		}{
			{"DuplicateID", &core.User{ID: "taken", Email: "other@example.com"}},
			{"DuplicateEmail", &core.User{ID: "new", Email: "taken@example.com"}},
			{"DuplicatePhone", &core.User{ID: "new", Phone: "+15550000000"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				first := fullUser("taken", "taken@example.com", "+15550000000")
				mustCreateUser(t, s, first)
				errOf(t, "CreateUser", s.CreateUser(ctx, tc.user), core.ErrConflict)
				// The failed insert changed nothing.
				got, err := s.UserByID(ctx, "taken")
				errOf(t, "UserByID", err, nil)
				checkUser(t, "UserByID after conflict", got, first)
				if tc.user.ID != "taken" {
					_, err := s.UserByID(ctx, tc.user.ID)
					errOf(t, "UserByID of rejected user", err, core.ErrNotFound)
				}
			})
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		mustCreateUser(t, s, fullUser("u1", "a@example.com", "+15550001111"))
		_, err := s.UserByID(ctx, "missing")
		errOf(t, "UserByID", err, core.ErrNotFound)
		_, err = s.UserByEmail(ctx, "missing@example.com")
		errOf(t, "UserByEmail", err, core.ErrNotFound)
		// The lookup is exact: callers lowercase emails before storing them.
		_, err = s.UserByEmail(ctx, "A@example.com")
		errOf(t, "UserByEmail in another case", err, core.ErrNotFound)
		_, err = s.UserByPhone(ctx, "+15550002222")
		errOf(t, "UserByPhone", err, core.ErrNotFound)
		// Nor is a phone found by a prefix of it.
		_, err = s.UserByPhone(ctx, "+1555000111")
		errOf(t, "UserByPhone prefix", err, core.ErrNotFound)
	})

	t.Run("Update", func(t *testing.T) {
		s := open(t)
		mustCreateUser(t, s, &core.User{ID: "u1", Email: "old@example.com", CreatedAt: at(0)})
		want := fullUser("u1", "new@example.com", "+15559999999")
		want.UpdatedAt = at(48 * time.Hour)
		errOf(t, "UpdateUser", s.UpdateUser(ctx, want), nil)
		// UpdateUser never writes accessedAt (TouchUser does).
		want.AccessedAt = time.Time{}
		got, err := s.UserByID(ctx, "u1")
		errOf(t, "UserByID", err, nil)
		checkUser(t, "after update", got, want)
		got, err = s.UserByEmail(ctx, "new@example.com")
		errOf(t, "UserByEmail new", err, nil)
		checkUser(t, "by new email", got, want)
		_, err = s.UserByEmail(ctx, "old@example.com")
		errOf(t, "UserByEmail old", err, core.ErrNotFound)
		got, err = s.UserByPhone(ctx, "+15559999999")
		errOf(t, "UserByPhone new", err, nil)
		checkUser(t, "by new phone", got, want)

		// Back to all-empty: times to zero, email and phone to none.
		cleared := &core.User{ID: "u1"}
		errOf(t, "UpdateUser to empty", s.UpdateUser(ctx, cleared), nil)
		got, err = s.UserByID(ctx, "u1")
		errOf(t, "UserByID", err, nil)
		checkUser(t, "after clearing", got, cleared)
		_, err = s.UserByPhone(ctx, "+15559999999")
		errOf(t, "UserByPhone after clearing", err, core.ErrNotFound)
		// The email and phone it gave up are free again.
		mustCreateUser(t, s, &core.User{ID: "u2", Email: "new@example.com", Phone: "+15559999999"})
	})

	t.Run("UpdateErrors", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			update *core.User
			want   error
		}{
			{"TakenEmail", &core.User{ID: "u2", Email: "one@example.com"}, core.ErrConflict},
			{"TakenPhone", &core.User{ID: "u2", Phone: "+15551111111"}, core.ErrConflict},
			{"UnknownID", &core.User{ID: "nobody", Email: "nobody@example.com"}, core.ErrNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				one := fullUser("u1", "one@example.com", "+15551111111")
				two := fullUser("u2", "two@example.com", "+15552222222")
				mustCreateUser(t, s, one)
				mustCreateUser(t, s, two)
				errOf(t, "UpdateUser", s.UpdateUser(ctx, tc.update), tc.want)
				for _, u := range []*core.User{one, two} {
					got, err := s.UserByID(ctx, u.ID)
					errOf(t, "UserByID "+u.ID, err, nil)
					checkUser(t, "unchanged "+u.ID, got, u)
					got, err = s.UserByPhone(ctx, u.Phone)
					errOf(t, "UserByPhone "+u.Phone, err, nil)
					checkUser(t, "unchanged by phone "+u.ID, got, u)
				}
				if tc.want == core.ErrNotFound {
					_, err := s.UserByID(ctx, tc.update.ID)
					errOf(t, "UserByID of unknown user", err, core.ErrNotFound)
				}
			})
		}
	})
}

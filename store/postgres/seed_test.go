package postgres_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/postgres"
)

// TestSeedUsersAndSessions seeds 1,000 users with a session each, then
// finds them through the ordinary lookups.
func TestSeedUsersAndSessions(t *testing.T) {
	s := openFresh(t)
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)
	const n = 1000
	users := make([]*core.User, n)
	sessions := make([]*core.Session, n)
	for i := range n {
		users[i] = &core.User{
			ID: fmt.Sprintf("u%04d", i), CreatedAt: now, UpdatedAt: now, Registration: now,
			Name: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("u%d@example.com", i),
			PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", Status: true,
			Prefs: []byte(`{"i":` + fmt.Sprint(i) + `}`), PasswordHistory: []string{"old"},
		}
		if i%2 == 0 {
			// Half without a phone: many NULLs in a unique column.
			users[i].Phone = fmt.Sprintf("+1555%07d", i)
		}
		h := sha256.Sum256(fmt.Appendf(nil, "secret-%d", i))
		sessions[i] = &core.Session{
			ID: fmt.Sprintf("s%04d", i), UserID: fmt.Sprintf("u%04d", (i*7)%n), CreatedAt: now,
			Expire: now.Add(time.Hour), Provider: "email", SecretHash: h[:], IP: "203.0.113.1",
			Device: core.Device{ClientName: "Firefox"},
		}
	}
	start := time.Now()
	if err := s.SeedUsersAndSessions(ctx, users, sessions); err != nil {
		t.Fatalf("SeedUsersAndSessions: %v", err)
	}
	t.Logf("seeded %d users and %d sessions in %v", n, n, time.Since(start))

	for _, i := range []int{0, 1, 499, 998, 999} {
		want := users[i]
		got, err := s.UserByEmail(ctx, want.Email)
		if err != nil {
			t.Fatalf("UserByEmail(%s): %v", want.Email, err)
		}
		if got.ID != want.ID || got.Name != want.Name || got.Phone != want.Phone ||
			!got.CreatedAt.Equal(now) || string(got.Prefs) != string(want.Prefs) ||
			len(got.PasswordHistory) != 1 || !got.Status {
			t.Errorf("user %d = %+v, want %+v", i, got, want)
		}
		if want.Phone != "" {
			if _, err := s.UserByPhone(ctx, want.Phone); err != nil {
				t.Errorf("UserByPhone(%s): %v", want.Phone, err)
			}
		}
		ws := sessions[i]
		gs, err := s.SessionBySecretHash(ctx, ws.SecretHash)
		if err != nil {
			t.Fatalf("SessionBySecretHash #%d: %v", i, err)
		}
		if gs.ID != ws.ID || gs.UserID != ws.UserID || !gs.Expire.Equal(ws.Expire) || gs.Device != ws.Device {
			t.Errorf("session %d = %+v, want %+v", i, gs, ws)
		}
		list, err := s.UserSessions(ctx, ws.UserID)
		if err != nil || len(list) != 1 || list[0].ID != ws.ID {
			t.Errorf("UserSessions(%s) = %d sessions, %v; want [%s]", ws.UserID, len(list), err, ws.ID)
		}
	}
	// The seeded rows are ordinary: the sequences go on after them.
	if err := s.CreateUser(ctx, &core.User{ID: "after", Email: "after@example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, &core.Session{ID: "s-after", UserID: "u0000", SecretHash: []byte("after")}); err != nil {
		t.Fatal(err)
	}
	// The seeded sessions and s-after, which never expires (zero time).
	if got, err := s.DeleteExpiredSessions(ctx, now.Add(2*time.Hour)); err != nil || got != n+1 {
		t.Errorf("DeleteExpiredSessions = %d, %v; want %d", got, err, n+1)
	}
}

// TestSeedConstraints checks that seeding keeps the constraints, and that
// a failing seed stores nothing.
func TestSeedConstraints(t *testing.T) {
	s := openFresh(t)
	ctx := context.Background()
	if err := s.CreateUser(ctx, &core.User{ID: "taken", Email: "taken@example.com"}); err != nil {
		t.Fatal(err)
	}
	err := s.SeedUsersAndSessions(ctx, []*core.User{
		{ID: "new"}, {ID: "dup", Email: "taken@example.com"},
	}, nil)
	if !errors.Is(err, core.ErrConflict) {
		t.Errorf("seeding a taken email = %v, want ErrConflict", err)
	}
	err = s.SeedUsersAndSessions(ctx, []*core.User{{ID: "new"}},
		[]*core.Session{{ID: "s1", UserID: "nobody", SecretHash: []byte("h")}})
	if !errors.Is(err, postgres.ErrForeignKey) {
		t.Errorf("seeding a session of an unknown user = %v, want ErrForeignKey", err)
	}
	if _, err := s.UserByID(ctx, "new"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("user of a failed seed: %v, want ErrNotFound", err)
	}
	if err := s.SeedUsersAndSessions(ctx, nil, nil); err != nil {
		t.Errorf("seeding nothing: %v", err)
	}
}

package domain_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/domain"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/outbox"
	"github.com/accountgate/accountgate/account/seal"
	"github.com/accountgate/accountgate/account/verify"
	"github.com/accountgate/accountgate/store/sqlite"
)

// fixture is the shared operations over a fresh SQLite store, wired as
// account.New wires them, with one user ann@example.com.
type fixture struct {
	acc   *domain.Accounts
	store core.Store
	ver   *verify.Verifier
	user  *core.User
}

func newFixture(t *testing.T, edit func(*core.Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir()+"/test.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := &core.Config{ProjectID: "test", Store: st, PublicURL: "http://localhost",
		Password: core.PasswordConfig{Memory: 64, Time: 1, Threads: 1}}
	if edit != nil {
		edit(cfg)
	}
	cfg.SetDefaults()
	secret := []byte("0123456789abcdef0123456789abcdef")
	ver := verify.New(verify.Config{Store: st, Secrets: [][]byte{secret}, CookieName: "a_session_test",
		CacheSize: 100, CacheTTL: time.Minute, Now: cfg.Now, Log: cfg.Logger})
	box := outbox.New(outbox.Config{Store: st, Seal: seal.New("outbox v1", secret), NotFound: core.ErrNotFound,
		Now: cfg.Now, NewID: core.NewID, Observe: func(context.Context, string, string) {}, Log: cfg.Logger})
	api := httpapi.New(httpapi.Config{Project: cfg, Verifier: ver, Limiter: cfg.RateLimiter, CookieName: "a_session_test"})
	acc := domain.New(domain.Config{Project: cfg, Verifier: ver, Outbox: box, Hasher: core.NewHasher(cfg.Password),
		TokenSeal: seal.New("provider tokens v1", secret), API: api})
	now := acc.Clock()
	u := &core.User{ID: core.NewID(now), Email: "ann@example.com", Status: true, CreatedAt: now, UpdatedAt: now, Registration: now}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	return &fixture{acc: acc, store: st, ver: ver, user: u}
}

// recoveryToken stores a recovery token for the user's current email and
// returns its secret.
func (f *fixture) recoveryToken(t *testing.T) string {
	t.Helper()
	secret := core.NewSecret()
	r := &httpapi.Request{Request: httptest.NewRequest("POST", "/v1/account/recovery", nil), IP: "192.0.2.1"}
	tok := f.acc.NewToken(r, f.user.ID, f.user.Email, core.TokenRecovery, time.Hour, secret)
	if err := f.store.CreateToken(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	return secret
}

// TestChangeUserWritesNothingWhenTheChangeFails: a change that spends a
// token and then fails leaves the user and the token as they were.
func TestChangeUserWritesNothingWhenTheChangeFails(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	secret := f.recoveryToken(t)
	boom := errors.New("refused after spending")
	_, err := f.acc.ChangeUser(ctx, f.user.ID, "", func(tx core.Store, u *core.User) error {
		if _, err := f.acc.SpendToken(ctx, tx, u, core.TokenRecovery, secret); err != nil {
			return err
		}
		u.Name = "changed"
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("ChangeUser = %v, want the change's error", err)
	}
	if u, _ := f.store.UserByID(ctx, f.user.ID); u.Name != "" {
		t.Fatalf("name written by a failed change: %q", u.Name)
	}
	_, err = f.acc.ChangeUser(ctx, f.user.ID, "", func(tx core.Store, u *core.User) error {
		_, err := f.acc.SpendToken(ctx, tx, u, core.TokenRecovery, secret)
		return err
	})
	if err != nil {
		t.Fatalf("the token was spent by the failed change: %v", err)
	}
}

// TestChangeUserVoidsTokensOfAChangedEmail: a link sent to the old
// address never works after the email changed, not even once the old
// address is back.
func TestChangeUserVoidsTokensOfAChangedEmail(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	secret := f.recoveryToken(t)
	for _, email := range []string{"ann@example.org", f.user.Email} {
		if _, err := f.acc.ChangeUser(ctx, f.user.ID, core.ErrUserEmailAlreadyExists, func(_ core.Store, u *core.User) error {
			u.Email = email
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.acc.ChangeUser(ctx, f.user.ID, "", func(tx core.Store, u *core.User) error {
		_, err := f.acc.SpendToken(ctx, tx, u, core.TokenRecovery, secret)
		return err
	})
	if core.AsError(err).Type != core.ErrUserInvalidToken {
		t.Fatalf("token of the old address spent: %v", err)
	}
}

// TestChangeUserErrors: ChangeNamedUser of an unknown user is 404
// user_not_found, and ChangeUser's conflict type names a unique clash.
func TestChangeUserErrors(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	_, err := f.acc.ChangeNamedUser(ctx, "nobody", func(core.Store, *core.User) error { return nil })
	if core.AsError(err).Type != core.ErrUserNotFound {
		t.Fatalf("unknown user: %v", err)
	}
	now := f.acc.Clock()
	other := &core.User{ID: core.NewID(now), Email: "bob@example.com", Status: true, CreatedAt: now, UpdatedAt: now}
	if err := f.store.CreateUser(ctx, other); err != nil {
		t.Fatal(err)
	}
	_, err = f.acc.ChangeUser(ctx, other.ID, core.ErrUserEmailAlreadyExists, func(_ core.Store, u *core.User) error {
		u.Email = f.user.Email
		return nil
	})
	if core.AsError(err).Type != core.ErrUserEmailAlreadyExists {
		t.Fatalf("taken email: %v", err)
	}
}

// TestCreateSessionPrunesTheOldest: beyond MaxSessions the oldest
// sessions go, and the verifier forgets them at once.
func TestCreateSessionPrunesTheOldest(t *testing.T) {
	f := newFixture(t, func(c *core.Config) { c.MaxSessions = 2 })
	ctx := context.Background()
	var ids []string
	for range 3 {
		sess, secret, err := f.acc.CreateSession(ctx, domain.NewSessionInput{User: f.user, Provider: "email",
			R: httptest.NewRequest("POST", "/v1/account/sessions/email", nil)})
		if err != nil {
			t.Fatal(err)
		}
		if secret == "" || sess.UserID != f.user.ID {
			t.Fatalf("session %+v, secret %q", sess, secret)
		}
		ids = append(ids, sess.ID)
	}
	left, err := f.store.UserSessions(ctx, f.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 2 || left[0].ID != ids[1] || left[1].ID != ids[2] {
		t.Fatalf("sessions left: %d, want the two newest", len(left))
	}
}

// TestPasswordHistory: the history keeps the last PasswordHistory hashes
// and CheckHistory refuses any of them.
func TestPasswordHistory(t *testing.T) {
	f := newFixture(t, func(c *core.Config) { c.PasswordHistory = 2 })
	ctx := context.Background()
	u := *f.user
	for _, p := range []string{"first-password", "second-password", "third-password"} {
		if err := f.acc.SetPassword(ctx, &u, p); err != nil {
			t.Fatal(err)
		}
	}
	if len(u.PasswordHistory) != 2 {
		t.Fatalf("history holds %d hashes, want 2", len(u.PasswordHistory))
	}
	if err := f.acc.CheckHistory(ctx, &u, "second-password"); core.AsError(err).Type != core.ErrPasswordRecentlyUsed {
		t.Fatalf("recent password: %v", err)
	}
	if err := f.acc.CheckHistory(ctx, &u, "first-password"); err != nil {
		t.Fatalf("password beyond the history: %v", err)
	}
}

// TestProviderTokensSealed: provider tokens are stored sealed and open
// again; a value that was never sealed reads as itself, a forged one as
// nothing.
func TestProviderTokensSealed(t *testing.T) {
	f := newFixture(t, nil)
	sealed := f.acc.SealString("provider-access-token")
	if sealed == "provider-access-token" || f.acc.OpenString(sealed) != "provider-access-token" {
		t.Fatalf("sealed %q opens to %q", sealed, f.acc.OpenString(sealed))
	}
	if got := f.acc.OpenString("plain"); got != "plain" {
		t.Fatalf("unsealed value read as %q", got)
	}
	if got := f.acc.OpenString("sealed:AAAA"); got != "" {
		t.Fatalf("forged value read as %q", got)
	}
}

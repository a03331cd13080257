package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/outbox"
)

// TestPragmas checks that the DSNs took effect on both pools, since the
// driver ignores a misspelt pragma silently.
func TestPragmas(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := map[string]string{
		"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "busy_timeout": "10000",
	}
	for pool, db := range map[string]*sql.DB{"writer": s.writer, "reader": s.reader} {
		for pragma, v := range want {
			var got string
			if err := db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", pool, pragma, err)
			}
			if !strings.EqualFold(got, v) {
				t.Errorf("%s: %s = %s, want %s", pool, pragma, got, v)
			}
		}
	}
	if _, err := s.reader.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('k', x'00')"); err == nil {
		t.Error("the reader pool accepted a write")
	}
}

func TestTimeConversion(t *testing.T) {
	for _, tc := range []struct {
		in   time.Time
		ms   int64
		back time.Time
	}{
		{time.Time{}, 0, time.Time{}},
		{time.Date(2026, 1, 2, 3, 4, 5, 678_999_999, time.UTC), 1767323045678,
			time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)},
		{time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), -1000,
			time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC)},
	} {
		if got := millis(tc.in); got != tc.ms {
			t.Errorf("millis(%v) = %d, want %d", tc.in, got, tc.ms)
		}
		if got := fromMillis(tc.ms); got != tc.back {
			t.Errorf("fromMillis(%d) = %v, want %v", tc.ms, got, tc.back)
		}
	}
}

func TestWrapBusy(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Another connection holds the write lock past a short busy timeout.
	other, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(50)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	_, err = other.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('k', x'00')")
	if err = wrap("test", err); !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("busy error = %v, want ErrUnavailable", err)
	}
}

// TestStoredForm checks the column values other tools see: 0 for the zero
// time, NULL for no email or phone, {} for no prefs, [] for no password
// history and a JSON array for one.
func TestStoredForm(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateUser(ctx, &core.User{ID: "u1"}); err != nil {
		t.Fatal(err)
	}
	var (
		created, registration int64
		email, phone          sql.NullString
		prefs, history        string
	)
	err = s.reader.QueryRowContext(ctx, `SELECT created_at, registration, email, phone, prefs,
		password_history FROM users WHERE id = 'u1'`).
		Scan(&created, &registration, &email, &phone, &prefs, &history)
	if err != nil {
		t.Fatal(err)
	}
	if created != 0 || registration != 0 || email.Valid || phone.Valid || prefs != "{}" || history != "[]" {
		t.Errorf("stored %d %d %v %v %q %q, want 0 0 NULL NULL {} []",
			created, registration, email, phone, prefs, history)
	}
	u := &core.User{ID: "u1", PasswordHistory: []string{"a", "b"}}
	if err := s.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	err = s.reader.QueryRowContext(ctx, `SELECT password_history FROM users WHERE id = 'u1'`).Scan(&history)
	if err != nil || history != `["a","b"]` {
		t.Errorf("stored history %q, %v; want %q", history, err, `["a","b"]`)
	}
}

// provider returns a goose provider of the embedded migrations on db.
func provider(t *testing.T, db *sql.DB) *goose.Provider {
	t.Helper()
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestUpgradeFromV1 opens a database made by the first migration only: the
// users it holds get an empty password history and the log works. Then the
// second migration goes down and up again.
func TestUpgradeFromV1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider(t, db).UpTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO users (id, email) VALUES ('old', 'old@example.com')`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.UserByEmail(ctx, "old@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if u.PasswordHistory != nil {
		t.Errorf("PasswordHistory of an old user = %q, want nil", u.PasswordHistory)
	}
	if err := s.CreateLog(ctx, &core.LogEntry{ID: "l1", UserID: "old"}); err != nil {
		t.Fatal(err)
	}

	p := provider(t, s.writer)
	if _, err := p.DownTo(ctx, 1); err != nil {
		t.Fatalf("down to 1: %v", err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if _, n, err := s.UserLogs(ctx, "old", 10, 0); err != nil || n != 0 {
		t.Errorf("UserLogs after down and up = %d, %v; want 0 entries", n, err)
	}
	if _, err := s.UserByID(ctx, "old"); err != nil {
		t.Errorf("UserByID after down and up: %v", err)
	}
}

// TestTokensOutboxSchema checks that a user's tokens go with the users row,
// and that the third migration goes down and up again.
func TestTokensOutboxSchema(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateUser(ctx, &core.User{ID: "u1"}); err != nil {
		t.Fatal(err)
	}
	tk := &core.Token{ID: "t1", UserID: "u1", SecretHash: []byte("h"), Expire: time.UnixMilli(2)}
	if err := s.CreateToken(ctx, tk); err != nil {
		t.Fatal(err)
	}
	if _, err := s.writer.ExecContext(ctx, `DELETE FROM users WHERE id = 'u1'`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM tokens`).Scan(&n); err != nil || n != 0 {
		t.Errorf("tokens left after deleting their user: %d, %v", n, err)
	}

	if err := s.EnqueueMessage(ctx, &outbox.Message{ID: "m1", Channel: "sms"}); err != nil {
		t.Fatalf("EnqueueMessage with a nil payload: %v", err)
	}
	p := provider(t, s.writer)
	if _, err := p.DownTo(ctx, 2); err != nil {
		t.Fatalf("down to 2: %v", err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if list, err := s.ClaimMessages(ctx, time.UnixMilli(1), time.Second, 10); err != nil || len(list) != 0 {
		t.Errorf("ClaimMessages after down and up = %d, %v; want none", len(list), err)
	}
	if err := s.CreateUser(ctx, &core.User{ID: "u1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateToken(ctx, tk); err != nil {
		t.Errorf("CreateToken after down and up: %v", err)
	}
}

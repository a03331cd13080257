package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/sqlite"
	"github.com/accountgate/accountgate/store/storetest"
)

// open returns a store on a new file, in a directory Open must create.
func open(t *testing.T) core.Store {
	t.Helper()
	return openPath(t, filepath.Join(t.TempDir(), "sub", "dir", "accountgate.db"))
}

// openPath opens path and closes the store when the test ends.
func openPath(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, open)
}

// TestConformanceParallel runs the groups side by side: each has its own
// files, but they share the driver and the migration lock.
func TestConformanceParallel(t *testing.T) {
	for name, run := range map[string]func(*testing.T, storetest.Opener){
		"Users": storetest.RunUsers, "Sessions": storetest.RunSessions,
		"Logs": storetest.RunLogs, "Tokens": storetest.RunTokens, "Outbox": storetest.RunOutbox,
		"Settings": storetest.RunSettings, "Tx": storetest.RunTx,
		"Locking": storetest.RunLocking, "Admin": storetest.RunAdmin,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run(t, open)
		})
	}
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "accountgate.db")
	first := openPath(t, path)
	if err := first.CreateUser(ctx, &core.User{ID: "u1", Email: "u1@example.com"}); err != nil {
		t.Fatal(err)
	}
	// A second store on the same file, while the first is open: the
	// migrations find nothing to do and the data is shared.
	second := openPath(t, path)
	if _, err := second.UserByEmail(ctx, "u1@example.com"); err != nil {
		t.Fatalf("second store: %v", err)
	}
	if err := second.CreateUser(ctx, &core.User{ID: "u2"}); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	third := openPath(t, path)
	for _, id := range []string{"u1", "u2"} {
		if _, err := third.UserByID(ctx, id); err != nil {
			t.Errorf("UserByID(%s) after reopen: %v", id, err)
		}
	}
}

// TestSharedStoreParallel hammers one store from parallel subtests, so the
// single writer, the reader pool and the busy timeout all get exercised.
func TestSharedStoreParallel(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	t.Run("group", func(t *testing.T) {
		for w := range 8 {
			t.Run(fmt.Sprint("worker", w), func(t *testing.T) {
				t.Parallel()
				for i := range 20 {
					id := fmt.Sprintf("u-%d-%d", w, i)
					err := s.WithTx(ctx, func(tx core.Store) error {
						if err := tx.CreateUser(ctx, &core.User{ID: id, Email: id + "@example.com"}); err != nil {
							return err
						}
						return tx.CreateSession(ctx, &core.Session{
							ID: "s-" + id, UserID: id, SecretHash: []byte(id),
							Expire: time.UnixMilli(int64(i + 1)),
						})
					})
					if err != nil {
						t.Fatalf("WithTx %s: %v", id, err)
					}
					if _, err := s.UserByEmail(ctx, id+"@example.com"); err != nil {
						t.Fatalf("UserByEmail %s: %v", id, err)
					}
					if _, err := s.SettingOrInit(ctx, "shared", []byte(id)); err != nil {
						t.Fatalf("SettingOrInit: %v", err)
					}
				}
			})
		}
	})
	n, err := s.DeleteExpiredSessions(ctx, time.UnixMilli(1000))
	if err != nil || n != 8*20 {
		t.Fatalf("DeleteExpiredSessions = %d, %v; want %d", n, err, 8*20)
	}
}

// TestOpenConcurrently opens one new file from several goroutines: only one
// may create the schema, the others must find it done.
func TestOpenConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accountgate.db")
	stores := make([]*sqlite.Store, 4)
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	for i := range stores {
		// Not openPath: t.Fatal must not run outside the test goroutine.
		wg.Go(func() { stores[i], errs[i] = sqlite.Open(context.Background(), path) })
	}
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Errorf("Open #%d: %v", i, errs[i])
			continue
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close #%d: %v", i, err)
		}
	}
}

func TestNestedTx(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	errInner := errors.New("inner")
	err := s.WithTx(ctx, func(tx core.Store) error {
		if err := tx.CreateUser(ctx, &core.User{ID: "outer"}); err != nil {
			return err
		}
		err := tx.WithTx(ctx, func(tx core.Store) error {
			if err := tx.CreateUser(ctx, &core.User{ID: "inner"}); err != nil {
				return err
			}
			return errInner
		})
		if !errors.Is(err, errInner) {
			t.Errorf("inner WithTx = %v, want %v", err, errInner)
		}
		// The failed inner transaction undid its write only.
		if _, err := tx.UserByID(ctx, "inner"); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("inner user after inner rollback: %v", err)
		}
		return tx.WithTx(ctx, func(tx core.Store) error {
			return tx.CreateUser(ctx, &core.User{ID: "inner2"})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]error{"outer": nil, "inner": core.ErrNotFound, "inner2": nil} {
		if _, err := s.UserByID(ctx, id); !errors.Is(err, want) {
			t.Errorf("UserByID(%s) = %v, want %v", id, err, want)
		}
	}
}

// TestPanicInTx checks that a panicking callback gives the writer connection
// back: with one writer, a leak would hang every later write.
func TestPanicInTx(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic was swallowed")
			}
		}()
		_ = s.WithTx(ctx, func(tx core.Store) error {
			if err := tx.CreateUser(ctx, &core.User{ID: "ghost"}); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.CreateUser(ctx, &core.User{ID: "after"}); err != nil {
		t.Fatalf("write after panic: %v", err)
	}
	if _, err := s.UserByID(ctx, "ghost"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("user of the panicked tx: %v", err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	// A session of an unknown user breaks the foreign key: an error, but
	// neither a conflict nor a miss.
	err := s.CreateSession(ctx, &core.Session{ID: "s", UserID: "nobody", SecretHash: []byte("h")})
	if err == nil || errors.Is(err, core.ErrConflict) || errors.Is(err, core.ErrNotFound) {
		t.Errorf("CreateSession for unknown user = %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.UserByID(cancelled, "u"); !errors.Is(err, context.Canceled) {
		t.Errorf("UserByID with cancelled context = %v, want context.Canceled", err)
	}
}

package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/postgres"
	"github.com/accountgate/accountgate/store/storetest"
)

// envDSN names the variable holding the DSN of the test server; the CI
// script sets it. Each test works in a schema of its own, dropped at the
// end, so tests run in parallel and leave nothing behind.
const envDSN = "ACCOUNTGATE_TEST_POSTGRES"

// testDSN returns the DSN of the test server, or skips the test.
func testDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(envDSN)
	if dsn == "" {
		t.Skip("set ACCOUNTGATE_TEST_POSTGRES to a PostgreSQL DSN to run these tests")
	}
	return dsn
}

// newSchema returns the name of a schema no other test uses, and drops it
// (if Open created it) when the test ends, after the stores are closed.
func newSchema(t *testing.T, dsn string) string {
	t.Helper()
	var b [8]byte
	rand.Read(b[:])
	schema := "accountgate_test_" + hex.EncodeToString(b[:])
	// Registered before any store's Close, so it runs after them.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// openStore opens dsn with opts and closes the store when the test ends.
func openStore(t *testing.T, dsn string, opts postgres.Options) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// openFresh returns a store on a new, migrated, empty schema.
func openFresh(t *testing.T) *postgres.Store {
	t.Helper()
	dsn := testDSN(t)
	return openStore(t, dsn, postgres.Options{
		Schema:         newSchema(t, dsn),
		MaxConns:       8,
		ConnectTimeout: 5 * time.Second,
		QueryTimeout:   30 * time.Second,
	})
}

// open is the storetest.Opener.
func open(t *testing.T) core.Store { return openFresh(t) }

func TestConformance(t *testing.T) {
	testDSN(t)
	storetest.Run(t, open)
}

// TestConformanceParallel runs the groups side by side, each group's
// stores in schemas of their own on the one server.
func TestConformanceParallel(t *testing.T) {
	testDSN(t)
	for name, run := range map[string]func(*testing.T, storetest.Opener){
		"Users": storetest.RunUsers, "Sessions": storetest.RunSessions,
		"Logs": storetest.RunLogs, "Identities": storetest.RunIdentities,
		"Tokens": storetest.RunTokens, "Outbox": storetest.RunOutbox,
		"Settings": storetest.RunSettings, "Tx": storetest.RunTx,
		"Locking": storetest.RunLocking, "Admin": storetest.RunAdmin,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run(t, open)
		})
	}
}

// TestConcurrentOpen starts several stores on one new schema at once, as
// instances of a cluster do: the advisory lock makes one migrate and the
// others wait, so none fails and every migration runs once.
func TestConcurrentOpen(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	const n = 4
	stores := make([]*postgres.Store, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema, MaxConns: 4})
		})
	}
	close(start)
	wg.Wait()
	for i, s := range stores {
		if s != nil {
			t.Cleanup(func() { s.Close() })
		}
		if errs[i] != nil {
			t.Errorf("Open #%d: %v", i, errs[i])
		}
	}
	if t.Failed() {
		return
	}
	ctx := context.Background()
	if err := stores[0].CreateUser(ctx, &core.User{ID: "u1", Email: "u1@example.com"}); err != nil {
		t.Fatal(err)
	}
	for i, s := range stores {
		if _, err := s.UserByEmail(ctx, "u1@example.com"); err != nil {
			t.Errorf("store #%d: UserByEmail: %v", i, err)
		}
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var applied, distinct int
	err = conn.QueryRow(ctx, `SELECT COUNT(*), COUNT(DISTINCT version_id) FROM `+
		pgx.Identifier{schema, "goose_db_version"}.Sanitize()+` WHERE version_id > 0`).Scan(&applied, &distinct)
	if err != nil {
		t.Fatal(err)
	}
	if applied != distinct || applied < 4 {
		t.Errorf("goose_db_version holds %d applied rows for %d versions, want each version once", applied, distinct)
	}
}

// TestReopen opens a second store on a migrated schema while the first is
// open: the migrations find nothing to do and the data is shared.
func TestReopen(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	ctx := context.Background()
	first := openStore(t, dsn, postgres.Options{Schema: schema})
	if err := first.CreateUser(ctx, &core.User{ID: "u1", Email: "u1@example.com"}); err != nil {
		t.Fatal(err)
	}
	second := openStore(t, dsn, postgres.Options{Schema: schema})
	if _, err := second.UserByEmail(ctx, "u1@example.com"); err != nil {
		t.Fatalf("second store: %v", err)
	}
	// A store in another schema sees none of it.
	other := openStore(t, dsn, postgres.Options{Schema: newSchema(t, dsn)})
	if _, err := other.UserByID(ctx, "u1"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("UserByID in another schema: %v, want ErrNotFound", err)
	}
}

// TestNestedTx checks that a nested WithTx is a savepoint: its failure
// undoes its own writes only and leaves the outer transaction usable.
func TestNestedTx(t *testing.T) {
	s := openFresh(t)
	ctx := context.Background()
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
			return fmt.Errorf("inner WithTx = %v, want errInner", err)
		}
		// A failed statement in a savepoint does not doom the outer
		// transaction either.
		err = tx.WithTx(ctx, func(tx core.Store) error {
			return tx.CreateUser(ctx, &core.User{ID: "outer"})
		})
		if !errors.Is(err, core.ErrConflict) {
			return fmt.Errorf("conflicting inner WithTx = %v, want ErrConflict", err)
		}
		return tx.WithTx(ctx, func(tx core.Store) error {
			return tx.CreateUser(ctx, &core.User{ID: "committed-inner"})
		})
	})
	if err != nil {
		t.Fatalf("WithTx: %v", err)
	}
	for id, want := range map[string]error{"outer": nil, "committed-inner": nil, "inner": core.ErrNotFound} {
		if _, err := s.UserByID(ctx, id); !errors.Is(err, want) {
			t.Errorf("UserByID(%s) = %v, want %v", id, err, want)
		}
	}
}

// TestPanicInTx checks that a panicking callback rolls back and returns
// its connection to the pool.
func TestPanicInTx(t *testing.T) {
	s := openFresh(t)
	ctx := context.Background()
	func() {
		defer func() { recover() }()
		s.WithTx(ctx, func(tx core.Store) error {
			tx.CreateUser(ctx, &core.User{ID: "u1"})
			panic("boom")
		})
	}()
	if _, err := s.UserByID(ctx, "u1"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("UserByID after panic = %v, want ErrNotFound", err)
	}
}

// TestForeignKey checks the error of a session or token of an unknown user.
func TestForeignKey(t *testing.T) {
	s := openFresh(t)
	ctx := context.Background()
	err := s.CreateSession(ctx, &core.Session{ID: "s1", UserID: "nobody", SecretHash: []byte("h")})
	if !errors.Is(err, postgres.ErrForeignKey) {
		t.Errorf("CreateSession of unknown user = %v, want ErrForeignKey", err)
	}
	err = s.CreateToken(ctx, &core.Token{ID: "t1", UserID: "nobody", SecretHash: []byte("h")})
	if !errors.Is(err, postgres.ErrForeignKey) {
		t.Errorf("CreateToken of unknown user = %v, want ErrForeignKey", err)
	}
}

// TestPrefsKeptVerbatim checks that prefs come back byte for byte, key
// order and number spelling included, which JSONB would not keep.
func TestPrefsKeptVerbatim(t *testing.T) {
	s := openFresh(t)
	ctx := context.Background()
	prefs := `{"z":1.50,"a":{"y":[true,null]},"a2":"\u00e9"}`
	if err := s.CreateUser(ctx, &core.User{ID: "u1", Prefs: []byte(prefs)}); err != nil {
		t.Fatal(err)
	}
	u, err := s.UserByID(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if string(u.Prefs) != prefs {
		t.Errorf("Prefs = %s, want %s", u.Prefs, prefs)
	}
}

// TestBadOptions checks that Open refuses inconsistent options before
// connecting.
func TestBadOptions(t *testing.T) {
	ctx := context.Background()
	for _, opts := range []postgres.Options{
		{MaxConns: -1},
		{MaxConns: 2, MinConns: 3},
		{QueryTimeout: -time.Second},
	} {
		if s, err := postgres.Open(ctx, "postgres://127.0.0.1:1/x", opts); err == nil {
			s.Close()
			t.Errorf("Open with %+v succeeded", opts)
		} else if errors.Is(err, core.ErrUnavailable) {
			t.Errorf("Open with %+v = %v, want an options error", opts, err)
		}
	}
	if _, err := postgres.Open(ctx, "postgres://%zz", postgres.Options{}); err == nil {
		t.Error("Open with a malformed DSN succeeded")
	}
}

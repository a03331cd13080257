package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/internal/sqlrows"
)

//go:embed migrations/*.sql
var migrations embed.FS

// pragmas are applied to every connection. The driver runs busy_timeout
// first, whatever the order here, so that the others (journal_mode(WAL) in
// particular) wait for a lock instead of failing. synchronous(NORMAL) loses
// no committed data in WAL mode short of a power cut.
const pragmas = "_pragma=busy_timeout(10000)" +
	"&_pragma=journal_mode(WAL)" +
	"&_pragma=foreign_keys(ON)" +
	"&_pragma=synchronous(NORMAL)"

const (
	// writerDSN takes the write lock at BEGIN: a deferred transaction that
	// reads then writes can fail with SQLITE_BUSY without waiting.
	writerDSN = "?" + pragmas + "&_txlock=immediate"
	// readerDSN makes any accidental write through the reader pool fail.
	readerDSN = "?" + pragmas + "&_pragma=query_only(1)"
	// readerConns bounds concurrent readers; WAL lets them run beside the
	// writer, and more rarely helps a single file.
	readerConns = 4
)

// migrateMu serialises migrations within the process: goose lists applied
// versions before its transaction, so two Opens of a new file at once would
// both try to create the tables.
var migrateMu sync.Mutex

// Store is an core.Store backed by one SQLite file. It is safe for
// concurrent use.
type Store struct {
	handles
	writer *sql.DB
	reader *sql.DB
}

var (
	_ core.Store = (*Store)(nil)
	_ core.Store = (*txStore)(nil)
)

// Open opens (creating it and its directory if needed) the SQLite database
// at path and brings its schema up to date. path must be a file name, not
// ":memory:", since the writer and reader pools must share the database.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: create directory: %w", err)
	}
	writer, err := sql.Open("sqlite", path+writerDSN)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open writer: %w", err)
	}
	// SQLite has a single writer; one connection queues writes in Go.
	writer.SetMaxOpenConns(1)
	if err := migrate(ctx, writer); err != nil {
		writer.Close()
		return nil, err
	}
	reader, err := sql.Open("sqlite", path+readerDSN)
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open reader: %w", err)
	}
	reader.SetMaxOpenConns(readerConns)
	reader.SetMaxIdleConns(readerConns)
	if err := reader.PingContext(ctx); err != nil {
		reader.Close()
		writer.Close()
		return nil, wrap("open reader", err)
	}
	return &Store{
		handles: handles{r: reader, w: writer},
		writer:  writer,
		reader:  reader,
	}, nil
}

// migrate applies the embedded migrations that db lacks.
func migrate(ctx context.Context, db *sql.DB) error {
	migrateMu.Lock()
	defer migrateMu.Unlock()
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	// The global registry holds Go migrations other packages may register
	// for other databases; only the files embedded here apply.
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return wrap("migrate", err)
	}
	return nil
}

// Close closes both connection pools.
func (s *Store) Close() error {
	return errors.Join(s.reader.Close(), s.writer.Close())
}

// WithTx runs fn in one transaction on the writer connection. The Store
// passed to fn reads and writes through that transaction; fn must not use s
// to write, since s would wait for the connection fn holds.
func (s *Store) WithTx(ctx context.Context, fn func(tx core.Store) error) error {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return wrap("begin", err)
	}
	// Rolls back if fn fails or panics; a no-op after Commit.
	defer tx.Rollback()
	if err := fn(&txStore{handles: handles{r: tx, w: tx}, tx: tx}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return wrap("commit", err)
	}
	return nil
}

// txStore is the core.Store handed to a WithTx callback.
type txStore struct {
	handles
	tx *sql.Tx
	// depth names the savepoint of a nested WithTx.
	depth int
}

// WithTx nests fn in a savepoint of the enclosing transaction, so that a
// failing fn undoes its own writes only, as core.Store promises, and the
// outer fn decides about the rest.
func (s *txStore) WithTx(ctx context.Context, fn func(tx core.Store) error) error {
	name := fmt.Sprintf("sp%d", s.depth+1)
	if _, err := s.tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return wrap("savepoint", err)
	}
	if err := fn(&txStore{handles: s.handles, tx: s.tx, depth: s.depth + 1}); err != nil {
		// ROLLBACK TO leaves the savepoint open, hence the RELEASE.
		_, rbErr := s.tx.ExecContext(ctx, "ROLLBACK TO "+name)
		if rbErr == nil {
			_, rbErr = s.tx.ExecContext(ctx, "RELEASE "+name)
		}
		if rbErr != nil {
			return errors.Join(err, wrap("rollback to savepoint", rbErr))
		}
		return err
	}
	if _, err := s.tx.ExecContext(ctx, "RELEASE "+name); err != nil {
		return wrap("release savepoint", err)
	}
	return nil
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queryRows runs a query on q and hands each row to scan, in order.
func queryRows[T any](ctx context.Context, q querier, op string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	list, err := sqlrows.Collect(rows, scan)
	if err != nil {
		return nil, wrap(op, err)
	}
	return list, nil
}

// handles holds where the queries go: the reader pool and the writer outside
// a transaction, the transaction for both inside one. The core.Store
// methods but WithTx are defined on it once for both cases.
type handles struct {
	r querier
	w querier
}

// wrap turns a driver error into the account sentinel it means, keeping the
// original for the log.
func wrap(op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", op, core.ErrNotFound)
	}
	if errors.Is(err, sql.ErrConnDone) {
		return fmt.Errorf("sqlite: %s: %w: %w", op, core.ErrUnavailable, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("sqlite: %s: %w: %w", op, core.ErrConflict, err)
		}
		// Extended codes keep the primary code in the low byte. These are
		// conditions of the host (locks held too long, disk, permissions),
		// not of the request.
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL:
			return fmt.Errorf("sqlite: %s: %w: %w", op, core.ErrUnavailable, err)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// millis converts a time to the stored form; the zero time is 0, not the
// large negative number UnixMilli gives for year 1.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMillis is the inverse of millis. Times come back in UTC.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// nullIfEmpty stores "" as NULL, so that unique columns accept many users
// without an email or phone.
func nullIfEmpty(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

// rowsAffected reports ErrNotFound when a write matched no row.
func rowsAffected(op string, res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: %s: %w", op, core.ErrNotFound)
	}
	return nil
}

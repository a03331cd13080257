package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/accountgate/accountgate/account/core"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tunes a Store. The zero value keeps the DSN's settings and
// pgxpool's defaults.
type Options struct {
	// MaxConns caps the pool; 0 keeps the DSN's pool_max_conns or pgxpool's
	// default (the greater of 4 and the number of CPUs).
	MaxConns int
	// MinConns is how many connections the pool keeps open even when idle;
	// 0 keeps the DSN's pool_min_conns or none.
	MinConns int
	// ConnectTimeout bounds each attempt to open a connection; 0 keeps the
	// DSN's connect_timeout or none (then only ctx bounds it).
	ConnectTimeout time.Duration
	// QueryTimeout bounds each statement, including BEGIN and COMMIT, on
	// top of the caller's context; 0 means no bound of its own. It does
	// not apply to migrations or SeedUsersAndSessions. A statement that
	// runs out of time fails with an error wrapping core.ErrUnavailable.
	QueryTimeout time.Duration
	// Schema, when set, is the schema every connection uses (search_path)
	// and that holds the tables; Open creates it if missing. Any name is
	// accepted: it is quoted as an identifier.
	Schema string
}

// Store is an core.Store backed by a PostgreSQL connection pool. It is
// safe for concurrent use.
type Store struct {
	handles
	pool *pgxpool.Pool
}

var (
	_ core.Store = (*Store)(nil)
	_ core.Store = (*txStore)(nil)
)

// Open connects to the database dsn names (a postgres:// URL or key=value
// string, as pgx accepts), creates opts.Schema if it is set and missing,
// brings the schema up to date and returns a Store on a fresh pool. An
// unreachable server makes Open fail with an error wrapping
// core.ErrUnavailable, as soon as the connection is refused or
// opts.ConnectTimeout (or ctx) runs out.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := poolConfig(dsn, opts)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, cfg.ConnConfig, opts.Schema); err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrap("open pool", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, wrap("ping", err)
	}
	return &Store{handles: handles{q: pool, timeout: opts.QueryTimeout}, pool: pool}, nil
}

// poolConfig parses dsn and applies opts to it.
func poolConfig(dsn string, opts Options) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgconn redacts the password from the message.
		return nil, fmt.Errorf("postgres: parse dsn: %w", err)
	}
	for name, n := range map[string]int{"MaxConns": opts.MaxConns, "MinConns": opts.MinConns} {
		if n < 0 || n > math.MaxInt32 {
			return nil, fmt.Errorf("postgres: %s = %d out of range", name, n)
		}
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = int32(opts.MaxConns)
	}
	if opts.MinConns > 0 {
		cfg.MinConns = int32(opts.MinConns)
	}
	if cfg.MinConns > cfg.MaxConns {
		return nil, fmt.Errorf("postgres: MinConns %d above MaxConns %d", cfg.MinConns, cfg.MaxConns)
	}
	if opts.ConnectTimeout < 0 || opts.QueryTimeout < 0 {
		return nil, errors.New("postgres: negative timeout")
	}
	if opts.ConnectTimeout > 0 {
		cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	}
	if opts.Schema != "" {
		// A run-time parameter of the startup message, so that it holds
		// from the first statement of every connection, pooled or not.
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
	}
	return cfg, nil
}

// migrate creates schema if it is set and missing, then applies the
// embedded migrations the database lacks. It runs on a database/sql
// handle of its own, closed before returning, so that a lock left behind
// by a failure goes with its connection.
func migrate(ctx context.Context, cc *pgx.ConnConfig, schema string) error {
	db := stdlib.OpenDB(*cc.Copy())
	defer db.Close()
	id := lockID(schema)
	if schema != "" {
		if err := createSchema(ctx, db, schema, id); err != nil {
			return err
		}
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	// A session advisory lock held for the whole run: goose lists the
	// applied versions after taking it, so a second instance starting at
	// the same time waits, then finds nothing to do. It is retried every
	// second for up to ten minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(id),
		lock.WithLockTimeout(1, 600), lock.WithUnlockTimeout(1, 60))
	if err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	// The global registry holds Go migrations other packages may register
	// for other databases; only the files embedded here apply.
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub,
		goose.WithDisableGlobalRegistry(true), goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return wrap("migrate", err)
	}
	return nil
}

// createSchema creates schema unless it exists. The transaction-scoped
// advisory lock (the key of the migration lock) makes concurrent Opens
// take turns, since two CREATE SCHEMA IF NOT EXISTS at once can still
// collide; checking first spares the CREATE privilege when it exists.
func createSchema(ctx context.Context, db *sql.DB, schema string, id int64) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return wrap("create schema", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, id); err != nil {
		return wrap("create schema", err)
	}
	var exists bool
	if err := tx.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&exists); err != nil {
		return wrap("create schema", err)
	}
	if !exists {
		if _, err := tx.ExecContext(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
			return wrap("create schema", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap("create schema", err)
	}
	return nil
}

// lockID is the advisory lock key of the migrations of schema: distinct
// per schema, and unlikely to collide with other applications' keys.
func lockID(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("accountgate/store/postgres migrate " + schema))
	return int64(h.Sum64())
}

// Close closes the pool, waiting for the connections in use to be
// returned. Calls made afterwards fail with core.ErrUnavailable. The
// error is always nil; it is there for io.Closer.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// WithTx runs fn in one transaction on one pooled connection: it commits if
// fn returns nil and rolls back otherwise (or if fn panics). The Store
// passed to fn must be used for every call inside it, from one goroutine
// at a time.
func (s *Store) WithTx(ctx context.Context, fn func(tx core.Store) error) error {
	bctx, cancel := s.ctx(ctx)
	tx, err := s.pool.Begin(bctx)
	cancel()
	if err != nil {
		return wrap("begin", err)
	}
	return s.run(ctx, tx, fn)
}

// txStore is the core.Store handed to a WithTx callback.
type txStore struct {
	handles
	tx pgx.Tx
}

// WithTx nests fn in a savepoint of the enclosing transaction (pgx's
// nested Tx), so that a failing fn undoes its own writes only, as
// core.Store promises, and leaves the outer transaction usable.
func (s *txStore) WithTx(ctx context.Context, fn func(tx core.Store) error) error {
	bctx, cancel := s.ctx(ctx)
	sp, err := s.tx.Begin(bctx)
	cancel()
	if err != nil {
		return wrap("savepoint", err)
	}
	return s.run(ctx, sp, fn)
}

// run calls fn with a Store on tx, then commits tx (releases it, for a
// savepoint) if fn returned nil and rolls it back otherwise.
func (h handles) run(ctx context.Context, tx pgx.Tx, fn func(tx core.Store) error) (err error) {
	done := false
	defer func() {
		if done {
			return
		}
		// Also when ctx is over: a connection must not go back to the
		// pool inside a transaction (pgx closes it if this fails).
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		defer cancel()
		if rbErr := tx.Rollback(rctx); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) && err != nil {
			err = errors.Join(err, wrap("rollback", rbErr))
		}
	}()
	if err := fn(&txStore{handles: handles{q: tx, timeout: h.timeout}, tx: tx}); err != nil {
		return err
	}
	cctx, cancel := h.ctx(ctx)
	defer cancel()
	if err := tx.Commit(cctx); err != nil {
		return wrap("commit", err)
	}
	done = true
	return nil
}

// rollbackTimeout bounds a rollback, which runs even when the caller's
// context is over.
const rollbackTimeout = 10 * time.Second

package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/internal/sqlrows"
)

// querier is what *pgxpool.Pool and pgx.Tx have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// handles holds where the queries go (the pool, or the transaction inside
// WithTx) and the per-statement timeout. The core.Store methods but
// WithTx are defined on it once for both cases.
type handles struct {
	q       querier
	timeout time.Duration
}

// ctx bounds one statement by the query timeout, if there is one. The
// cancel function must be called once the statement's rows are read.
func (h handles) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	if h.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, h.timeout)
}

// exec runs one statement that returns no rows and says how many it
// changed.
func (h handles) exec(ctx context.Context, op, sql string, args ...any) (int64, error) {
	ctx, cancel := h.ctx(ctx)
	defer cancel()
	tag, err := h.q.Exec(ctx, sql, args...)
	if err != nil {
		return 0, wrap(op, err)
	}
	return tag.RowsAffected(), nil
}

// execOne runs one statement that must change a row: core.ErrNotFound
// if it changed none.
func (h handles) execOne(ctx context.Context, op, sql string, args ...any) error {
	n, err := h.exec(ctx, op, sql, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("postgres: %s: %w", op, core.ErrNotFound)
	}
	return nil
}

// scanner is a pgx.Row or pgx.Rows.
type scanner = sqlrows.Scanner

// queryRow runs a statement returning at most one row and hands it to
// scan; no row is core.ErrNotFound.
func queryRow[T any](ctx context.Context, h handles, op string, scan func(scanner) (T, error), sql string, args ...any) (T, error) {
	ctx, cancel := h.ctx(ctx)
	defer cancel()
	v, err := scan(h.q.QueryRow(ctx, sql, args...))
	if err != nil {
		var zero T
		return zero, wrap(op, err)
	}
	return v, nil
}

// queryRows runs a statement and hands each row to scan, in order.
func queryRows[T any](ctx context.Context, h handles, op string, scan func(scanner) (T, error), sql string, args ...any) ([]T, error) {
	ctx, cancel := h.ctx(ctx)
	defer cancel()
	rows, err := h.q.Query(ctx, sql, args...)
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
func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// notNil turns nil into an empty slice: pgx sends a nil []byte as NULL,
// which the NOT NULL BYTEA columns refuse.
func notNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/accountgate/accountgate/account/core"
)

// SeedUsersAndSessions bulk-inserts users, then sessions, with COPY, in one
// transaction: all of them or none. It is meant for benchmarks and tools
// that need a large database fast (the scale benchmark), not for the
// service, which goes through CreateUser and CreateSession.
//
// COPY bypasses no constraint: a taken id, email, phone or secret hash
// fails the whole call with core.ErrConflict, a session of a user that
// is neither in users nor already stored fails it with ErrForeignKey, and
// the values are stored exactly as CreateUser and CreateSession store
// them. It ends with ANALYZE of the tables it filled. Options.QueryTimeout
// does not apply; ctx bounds the call.
func (s *Store) SeedUsersAndSessions(ctx context.Context, users []*core.User, sessions []*core.Session) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return wrap("seed: begin", err)
	}
	// A no-op after Commit.
	defer tx.Rollback(context.WithoutCancel(ctx))
	if len(users) > 0 {
		if err := copyRows(ctx, tx, "users", userColumns, len(users), func(i int) []any {
			return append(userArgs(users[i]), millis(users[i].AccessedAt))
		}); err != nil {
			return err
		}
	}
	if len(sessions) > 0 {
		if err := copyRows(ctx, tx, "sessions", sessionColumns, len(sessions), func(i int) []any {
			return sessionArgs(sessions[i])
		}); err != nil {
			return err
		}
	}
	// The planner's statistics of a bulk load would otherwise wait for
	// autovacuum, and plans made on an empty table's meanwhile.
	if _, err := tx.Exec(ctx, `ANALYZE users, user_labels, sessions`); err != nil {
		return wrap("seed: analyze", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return wrap("seed: commit", err)
	}
	return nil
}

// copyRows copies n rows, row(i) giving the values of row i in the order
// of columns (a column list as the queries use it), into table.
func copyRows(ctx context.Context, tx pgx.Tx, table, columns string, n int, row func(int) []any) error {
	names := strings.Split(columns, ",")
	for i, name := range names {
		names[i] = strings.TrimSpace(name)
	}
	copied, err := tx.CopyFrom(ctx, pgx.Identifier{table}, names,
		pgx.CopyFromSlice(n, func(i int) ([]any, error) { return row(i), nil }))
	if err != nil {
		return wrap("seed "+table, err)
	}
	if copied != int64(n) {
		return fmt.Errorf("postgres: seed %s: copied %d rows of %d", table, copied, n)
	}
	return nil
}

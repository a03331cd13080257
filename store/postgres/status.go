package postgres

import (
	"context"

	"github.com/accountgate/accountgate/account/core"
)

var _ core.StoreStatus = (*Store)(nil)

// Ping checks that the server answers a query on a pooled connection;
// errors wrap core.ErrUnavailable when it cannot be reached.
func (s *Store) Ping(ctx context.Context) error {
	_, err := queryRow(ctx, s.handles, "ping", scanInt, `SELECT 1`)
	return err
}

// OutboxDepth counts the messages waiting in the outbox, claimed or not.
func (s *Store) OutboxDepth(ctx context.Context) (int, error) {
	return queryRow(ctx, s.handles, "outbox depth", scanInt, `SELECT count(*)::int FROM outbox`)
}

func scanInt(row scanner) (int, error) {
	var n int
	err := row.Scan(&n)
	return n, err
}

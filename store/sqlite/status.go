package sqlite

import (
	"context"

	"github.com/accountgate/accountgate/account/core"
)

var _ core.StoreStatus = (*Store)(nil)

// Ping checks that the database answers a query on the reader pool, as
// the API's reads do.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.reader.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return wrap("ping", err)
	}
	return nil
}

// OutboxDepth counts the messages waiting in the outbox, claimed or not.
func (s *Store) OutboxDepth(ctx context.Context) (int, error) {
	var n int
	if err := s.reader.QueryRowContext(ctx, `SELECT count(*) FROM outbox`).Scan(&n); err != nil {
		return 0, wrap("outbox depth", err)
	}
	return n, nil
}

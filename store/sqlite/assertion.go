package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/accountgate/accountgate/account/assertion"
	"github.com/accountgate/accountgate/account/core"
)

var (
	_ assertion.Store = (*Store)(nil)
	_ assertion.Store = (*txStore)(nil)
)

// AssertionKeys returns every assertion key, newest first.
func (h handles) AssertionKeys(ctx context.Context) ([]*assertion.Key, error) {
	rows, err := h.r.QueryContext(ctx, `SELECT id, alg, private_key, public_key, created_at, retired_at
		FROM assertion_keys ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, wrap("list assertion keys", err)
	}
	defer rows.Close()
	var keys []*assertion.Key
	for rows.Next() {
		k := &assertion.Key{}
		var created int64
		var retired sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Alg, &k.Private, &k.Public, &created, &retired); err != nil {
			return nil, wrap("list assertion keys", err)
		}
		k.CreatedAt, k.RetiredAt = fromMillis(created), fromMillis(retired.Int64)
		keys = append(keys, k)
	}
	return keys, wrapIf("list assertion keys", rows.Err())
}

// AddAssertionKey implements assertion.Store in one transaction; the
// unique index on the signing key makes a second first key a conflict.
func (s *Store) AddAssertionKey(ctx context.Context, k *assertion.Key, rotate bool, dropBefore time.Time) error {
	return addAssertionKey(ctx, s, k, rotate, dropBefore)
}

// AddAssertionKey implements assertion.Store in a savepoint.
func (s *txStore) AddAssertionKey(ctx context.Context, k *assertion.Key, rotate bool, dropBefore time.Time) error {
	return addAssertionKey(ctx, s, k, rotate, dropBefore)
}

func addAssertionKey(ctx context.Context, st core.Store, k *assertion.Key, rotate bool, dropBefore time.Time) error {
	return st.WithTx(ctx, func(tx core.Store) error {
		h := tx.(*txStore).handles
		if rotate {
			if _, err := h.w.ExecContext(ctx, `UPDATE assertion_keys SET retired_at = ? WHERE retired_at IS NULL`,
				millis(k.CreatedAt)); err != nil {
				return wrap("retire assertion key", err)
			}
			if _, err := h.w.ExecContext(ctx, `DELETE FROM assertion_keys WHERE retired_at < ?`,
				millis(dropBefore)); err != nil {
				return wrap("drop assertion keys", err)
			}
		}
		_, err := h.w.ExecContext(ctx, `INSERT INTO assertion_keys (id, alg, private_key, public_key, created_at)
			VALUES (?, ?, ?, ?, ?)`, k.ID, k.Alg, k.Private, k.Public, millis(k.CreatedAt))
		return wrapIf("insert assertion key", err)
	})
}

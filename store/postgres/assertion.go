package postgres

import (
	"context"
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
	ctx, cancel := h.ctx(ctx)
	defer cancel()
	rows, err := h.q.Query(ctx, `SELECT id, alg, private_key, public_key, created_at, retired_at
		FROM assertion_keys ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, wrap("list assertion keys", err)
	}
	defer rows.Close()
	var keys []*assertion.Key
	for rows.Next() {
		k := &assertion.Key{}
		var created int64
		var retired *int64
		if err := rows.Scan(&k.ID, &k.Alg, &k.Private, &k.Public, &created, &retired); err != nil {
			return nil, wrap("list assertion keys", err)
		}
		k.CreatedAt = fromMillis(created)
		if retired != nil {
			k.RetiredAt = fromMillis(*retired)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list assertion keys", err)
	}
	return keys, nil
}

// AddAssertionKey implements assertion.Store in one transaction. Of two
// concurrent rotations, the second's UPDATE waits for the first and then
// finds no signing key to retire; its INSERT then breaks the unique index
// on the signing key: core.ErrConflict.
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
			if _, err := h.exec(ctx, "retire assertion key",
				`UPDATE assertion_keys SET retired_at = $1 WHERE retired_at IS NULL`, millis(k.CreatedAt)); err != nil {
				return err
			}
			if _, err := h.exec(ctx, "drop assertion keys",
				`DELETE FROM assertion_keys WHERE retired_at < $1`, millis(dropBefore)); err != nil {
				return err
			}
		}
		_, err := h.exec(ctx, "insert assertion key", `INSERT INTO assertion_keys (id, alg, private_key, public_key, created_at)
			VALUES ($1, $2, $3, $4, $5)`, k.ID, k.Alg, k.Private, k.Public, millis(k.CreatedAt))
		return err
	})
}

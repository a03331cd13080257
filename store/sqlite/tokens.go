package sqlite

import (
	"context"
	"time"

	"github.com/accountgate/accountgate/account"
)

// tokenColumns is the column list of every token query, in scanToken order.
const tokenColumns = `id, user_id, type, secret_hash, created_at, expire, ip, user_agent`

// CreateToken inserts t; a taken id or secret hash gives
// account.ErrConflict.
func (h handles) CreateToken(ctx context.Context, t *account.Token) error {
	_, err := h.w.ExecContext(ctx, `INSERT INTO tokens (`+tokenColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.UserID, int64(t.Type), t.SecretHash, millis(t.CreatedAt), millis(t.Expire),
		t.IP, t.UserAgent)
	if err != nil {
		return wrap("create token", err)
	}
	return nil
}

// ConsumeToken deletes and returns the token of userID with this type and
// secret hash whose expiry is after now, or returns account.ErrNotFound and
// deletes nothing. The match and the delete are one statement, so of two
// concurrent calls only one gets the token.
func (h handles) ConsumeToken(ctx context.Context, userID string, typ account.TokenType, hash []byte, now time.Time) (*account.Token, error) {
	t, err := scanToken(h.w.QueryRowContext(ctx, `DELETE FROM tokens
		WHERE user_id = ? AND type = ? AND secret_hash = ? AND expire > ?
		RETURNING `+tokenColumns,
		userID, int64(typ), hash, millis(now)))
	if err != nil {
		return nil, wrap("consume token", err)
	}
	return t, nil
}

// DeleteExpiredTokens removes the tokens whose expiry is before now, at
// millisecond precision, and says how many went.
func (h handles) DeleteExpiredTokens(ctx context.Context, now time.Time) (int64, error) {
	res, err := h.w.ExecContext(ctx, `DELETE FROM tokens WHERE expire < ?`, millis(now))
	if err != nil {
		return 0, wrap("delete expired tokens", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrap("delete expired tokens", err)
	}
	return n, nil
}

// scanToken reads one row of tokenColumns.
func scanToken(row scanner) (*account.Token, error) {
	var (
		t               account.Token
		typ             int64
		created, expire int64
	)
	err := row.Scan(&t.ID, &t.UserID, &typ, &t.SecretHash, &created, &expire, &t.IP, &t.UserAgent)
	if err != nil {
		return nil, err
	}
	t.Type = account.TokenType(typ)
	t.CreatedAt = fromMillis(created)
	t.Expire = fromMillis(expire)
	return &t, nil
}

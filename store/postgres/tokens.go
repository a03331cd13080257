package postgres

import (
	"context"
	"time"

	"github.com/accountgate/accountgate/account"
)

// tokenColumns is the column list of every token query, in scanToken order.
const tokenColumns = `id, user_id, type, secret_hash, created_at, expire, ip, user_agent`

// CreateToken inserts t; a taken id or secret hash gives
// account.ErrConflict, an unknown user ErrForeignKey.
func (h handles) CreateToken(ctx context.Context, t *account.Token) error {
	_, err := h.exec(ctx, "create token", `INSERT INTO tokens (`+tokenColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.ID, t.UserID, int64(t.Type), t.SecretHash, millis(t.CreatedAt), millis(t.Expire),
		t.IP, t.UserAgent)
	return err
}

// ConsumeToken deletes and returns the token of userID with this type and
// secret hash whose expiry is after now, or returns account.ErrNotFound and
// deletes nothing. The match and the delete are one statement: of two
// concurrent calls, the second waits for the first's row lock, then finds
// the row gone, so only one gets the token.
func (h handles) ConsumeToken(ctx context.Context, userID string, typ account.TokenType, hash []byte, now time.Time) (*account.Token, error) {
	return queryRow(ctx, h, "consume token", scanToken, `DELETE FROM tokens
		WHERE user_id = $1 AND type = $2 AND secret_hash = $3 AND expire > $4
		RETURNING `+tokenColumns,
		userID, int64(typ), notNil(hash), millis(now))
}

// DeleteExpiredTokens removes the tokens whose expiry is before now, at
// millisecond precision, and says how many went.
func (h handles) DeleteExpiredTokens(ctx context.Context, now time.Time) (int64, error) {
	return h.exec(ctx, "delete expired tokens", `DELETE FROM tokens WHERE expire < $1`, millis(now))
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

package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// tokenColumns is the column list of every token query, in scanToken order.
const tokenColumns = `id, user_id, type, secret_hash, target, created_at, expire, ip, user_agent`

// CreateToken inserts t; a taken id or secret hash gives
// core.ErrConflict.
func (h handles) CreateToken(ctx context.Context, t *core.Token) error {
	_, err := h.w.ExecContext(ctx, `INSERT INTO tokens (`+tokenColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.UserID, int64(t.Type), t.SecretHash, notNil(t.Target), millis(t.CreatedAt), millis(t.Expire),
		t.IP, t.UserAgent)
	if err != nil {
		return wrap("create token", err)
	}
	return nil
}

// ConsumeToken deletes and returns the token of userID with this type,
// secret hash and target whose expiry is after now, or returns
// core.ErrNotFound and deletes nothing. The match and the delete are one
// statement, so of two concurrent calls only one gets the token. An empty
// target matches nothing: tokens from before targets were kept have none.
func (h handles) ConsumeToken(ctx context.Context, userID string, typ core.TokenType, hash, target []byte, now time.Time) (*core.Token, error) {
	t, err := scanToken(h.w.QueryRowContext(ctx, `DELETE FROM tokens
		WHERE user_id = ? AND type = ? AND secret_hash = ? AND target = ? AND target <> X'' AND expire > ?
		RETURNING `+tokenColumns,
		userID, int64(typ), hash, notNil(target), millis(now)))
	if err != nil {
		return nil, wrap("consume token", err)
	}
	return t, nil
}

// ConsumeAnyToken is ConsumeToken over several (type, target, hash)
// kinds, in one statement as well; it spends the oldest match.
func (h handles) ConsumeAnyToken(ctx context.Context, userID string, kinds []core.TokenKind, now time.Time) (*core.Token, error) {
	if len(kinds) == 0 {
		return nil, core.ErrNotFound
	}
	args := []any{userID, millis(now)}
	alts := make([]string, len(kinds))
	for i, k := range kinds {
		alts[i] = "(type = ? AND target = ? AND secret_hash = ?)"
		args = append(args, int64(k.Type), notNil(k.Target), notNil(k.Hash))
	}
	// The subquery picks one row: two tokens matching different kinds
	// are two secrets, of which this call spends one.
	t, err := scanToken(h.w.QueryRowContext(ctx, `DELETE FROM tokens WHERE seq = (
		SELECT seq FROM tokens WHERE user_id = ? AND expire > ? AND target <> X''
		AND (`+strings.Join(alts, " OR ")+`) ORDER BY seq LIMIT 1)
		RETURNING `+tokenColumns, args...))
	if err != nil {
		return nil, wrap("consume token", err)
	}
	return t, nil
}

// DeleteUserTokens removes every token of userID of the given types and
// says how many went.
func (h handles) DeleteUserTokens(ctx context.Context, userID string, types ...core.TokenType) (int64, error) {
	if len(types) == 0 {
		return 0, nil
	}
	args := []any{userID}
	marks := make([]string, len(types))
	for i, typ := range types {
		args = append(args, int64(typ))
		marks[i] = "?"
	}
	res, err := h.w.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = ? AND type IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return 0, wrap("delete user tokens", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrap("delete user tokens", err)
	}
	return n, nil
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
func scanToken(row scanner) (*core.Token, error) {
	var (
		t               core.Token
		typ             int64
		created, expire int64
	)
	err := row.Scan(&t.ID, &t.UserID, &typ, &t.SecretHash, &t.Target, &created, &expire, &t.IP, &t.UserAgent)
	if err != nil {
		return nil, err
	}
	t.Type = core.TokenType(typ)
	t.CreatedAt = fromMillis(created)
	t.Expire = fromMillis(expire)
	return &t, nil
}

// notNil turns nil into an empty slice: the driver stores a nil []byte as
// NULL, which the NOT NULL BLOB columns refuse.
func notNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

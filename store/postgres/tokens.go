package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// tokenColumns is the column list of every token query, in scanToken order.
const tokenColumns = `id, user_id, type, secret_hash, target, created_at, expire, ip, user_agent`

// CreateToken inserts t; a taken id or secret hash gives
// core.ErrConflict, an unknown user ErrForeignKey.
func (h handles) CreateToken(ctx context.Context, t *core.Token) error {
	_, err := h.exec(ctx, "create token", `INSERT INTO tokens (`+tokenColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		t.ID, t.UserID, int64(t.Type), t.SecretHash, notNil(t.Target), millis(t.CreatedAt), millis(t.Expire),
		t.IP, t.UserAgent)
	return err
}

// ConsumeToken deletes and returns the token of userID with this type,
// secret hash and target whose expiry is after now, or returns
// core.ErrNotFound and deletes nothing. The match and the delete are one
// statement: of two concurrent calls, the second waits for the first's row
// lock, then finds the row gone, so only one gets the token. An empty
// target matches nothing: tokens from before targets were kept have none.
func (h handles) ConsumeToken(ctx context.Context, userID string, typ core.TokenType, hash, target []byte, now time.Time) (*core.Token, error) {
	return queryRow(ctx, h, "consume token", scanToken, `DELETE FROM tokens
		WHERE user_id = $1 AND type = $2 AND secret_hash = $3 AND target = $4 AND target <> ''::bytea
		AND expire > $5
		RETURNING `+tokenColumns,
		userID, int64(typ), notNil(hash), notNil(target), millis(now))
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
		n := len(args)
		alts[i] = fmt.Sprintf("(type = $%d AND target = $%d AND secret_hash = $%d)", n+1, n+2, n+3)
		args = append(args, int64(k.Type), notNil(k.Target), notNil(k.Hash))
	}
	// The subquery picks one row (the oldest match). A concurrent call
	// that picked the same row waits for its lock, then finds it gone
	// and deletes nothing.
	return queryRow(ctx, h, "consume token", scanToken, `DELETE FROM tokens WHERE seq = (
		SELECT seq FROM tokens WHERE user_id = $1 AND expire > $2 AND target <> ''::bytea
		AND (`+strings.Join(alts, " OR ")+`) ORDER BY seq LIMIT 1)
		RETURNING `+tokenColumns, args...)
}

// DeleteUserTokens removes every token of userID of the given types and
// says how many went.
func (h handles) DeleteUserTokens(ctx context.Context, userID string, types ...core.TokenType) (int64, error) {
	if len(types) == 0 {
		return 0, nil
	}
	codes := make([]int64, len(types))
	for i, typ := range types {
		codes[i] = int64(typ)
	}
	return h.exec(ctx, "delete user tokens", `DELETE FROM tokens WHERE user_id = $1 AND type = ANY($2)`, userID, codes)
}

// DeleteExpiredTokens removes the tokens whose expiry is before now, at
// millisecond precision, and says how many went.
func (h handles) DeleteExpiredTokens(ctx context.Context, now time.Time) (int64, error) {
	return h.exec(ctx, "delete expired tokens", `DELETE FROM tokens WHERE expire < $1`, millis(now))
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

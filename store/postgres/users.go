package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// userColumns is the column list of every user query, in userArgs and
// scanUser order.
const userColumns = `id, created_at, updated_at, name, email, phone, password_hash,
	password_update, registration, status, email_verification, phone_verification, prefs,
	password_history, labels, accessed_at`

// CreateUser inserts u; a taken id, email or phone gives core.ErrConflict.
func (h handles) CreateUser(ctx context.Context, u *core.User) error {
	_, err := h.exec(ctx, "create user", `INSERT INTO users (`+userColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		append(userArgs(u), millis(u.AccessedAt))...)
	return err
}

// UserByID returns the user or core.ErrNotFound.
func (h handles) UserByID(ctx context.Context, id string) (*core.User, error) {
	return queryRow(ctx, h, "user by id", scanUser,
		`SELECT `+userColumns+` FROM users WHERE id = $1`, id)
}

// LockUser returns the user or core.ErrNotFound. Inside WithTx the row
// stays locked until the transaction ends: a concurrent LockUser or
// UpdateUser of the same user waits for it. NO KEY UPDATE is the lock an
// UPDATE that keeps the id takes; unlike FOR UPDATE it lets other
// transactions insert sessions, tokens and logs of the user meanwhile.
func (h handles) LockUser(ctx context.Context, id string) (*core.User, error) {
	return queryRow(ctx, h, "lock user", scanUser,
		`SELECT `+userColumns+` FROM users WHERE id = $1 FOR NO KEY UPDATE`, id)
}

// UserByEmail returns the user with this email or core.ErrNotFound. ""
// matches nobody, since a missing email is stored as NULL.
func (h handles) UserByEmail(ctx context.Context, email string) (*core.User, error) {
	return queryRow(ctx, h, "user by email", scanUser,
		`SELECT `+userColumns+` FROM users WHERE email = $1`, email)
}

// UserByPhone returns the user with this phone number or
// core.ErrNotFound. "" matches nobody, since a missing phone is stored as
// NULL.
func (h handles) UserByPhone(ctx context.Context, phone string) (*core.User, error) {
	return queryRow(ctx, h, "user by phone", scanUser,
		`SELECT `+userColumns+` FROM users WHERE phone = $1`, phone)
}

// UpdateUser overwrites every field of user u.ID but the id itself;
// core.ErrNotFound if it is gone, core.ErrConflict if the new email or
// phone is taken.
func (h handles) UpdateUser(ctx context.Context, u *core.User) error {
	// userArgs puts the id in $1, which WHERE uses.
	return h.execOne(ctx, "update user", `UPDATE users SET
		created_at = $2, updated_at = $3, name = $4, email = $5, phone = $6, password_hash = $7,
		password_update = $8, registration = $9, status = $10, email_verification = $11,
		phone_verification = $12, prefs = $13, password_history = $14, labels = $15
		WHERE id = $1`, userArgs(u)...)
}

// userArgs returns u's values in userColumns order, but for accessed_at:
// only CreateUser and TouchUser write that.
func userArgs(u *core.User) []any {
	return []any{
		u.ID, millis(u.CreatedAt), millis(u.UpdatedAt), u.Name,
		nullIfEmpty(u.Email), nullIfEmpty(u.Phone), u.PasswordHash,
		millis(u.PasswordUpdate), millis(u.Registration),
		u.Status, u.EmailVerification, u.PhoneVerification,
		encodePrefs(u.Prefs), encodeHistory(u.PasswordHistory), encodeLabels(u.Labels),
	}
}

// scanUser reads one row of userColumns.
func scanUser(row scanner) (*core.User, error) {
	var (
		u                      core.User
		email, phone           *string
		created, updated       int64
		passwordUpdate, regist int64
		prefs, history, labels string
		accessed               int64
	)
	err := row.Scan(&u.ID, &created, &updated, &u.Name, &email, &phone, &u.PasswordHash,
		&passwordUpdate, &regist, &u.Status, &u.EmailVerification, &u.PhoneVerification, &prefs,
		&history, &labels, &accessed)
	if err != nil {
		return nil, err
	}
	u.CreatedAt = fromMillis(created)
	u.UpdatedAt = fromMillis(updated)
	if email != nil {
		u.Email = *email
	}
	if phone != nil {
		u.Phone = *phone
	}
	u.PasswordUpdate = fromMillis(passwordUpdate)
	u.Registration = fromMillis(regist)
	u.Prefs = json.RawMessage(prefs)
	u.AccessedAt = fromMillis(accessed)
	if u.PasswordHistory, err = decodeHistory(history); err != nil {
		return nil, err
	}
	if u.Labels, err = decodeLabels(labels); err != nil {
		return nil, err
	}
	return &u, nil
}

// encodePrefs stores prefs as the text of the JSON document, byte for
// byte but for surrounding space; nil or empty is {}.
func encodePrefs(prefs json.RawMessage) string {
	p := bytes.TrimSpace(prefs)
	if len(p) == 0 {
		return "{}"
	}
	return string(p)
}

// encodeHistory stores a password history as a JSON array, nil as [].
func encodeHistory(h []string) string {
	if len(h) == 0 {
		return "[]"
	}
	// Marshal cannot fail on a []string.
	b, _ := json.Marshal(h)
	return string(b)
}

// decodeHistory is the inverse of encodeHistory; an empty array gives nil.
func decodeHistory(s string) ([]string, error) {
	var h []string
	if err := json.Unmarshal([]byte(s), &h); err != nil {
		return nil, fmt.Errorf("password history: %w", err)
	}
	if len(h) == 0 {
		return nil, nil
	}
	return h, nil
}

// TouchUser sets accessed_at to at unless it is already after at-every.
func (h handles) TouchUser(ctx context.Context, id string, at time.Time, every time.Duration) (bool, error) {
	n, err := h.exec(ctx, "touch user", `UPDATE users SET accessed_at = $1 WHERE id = $2 AND accessed_at <= $3`,
		millis(at), id, millis(at.Add(-every)))
	return n > 0, err
}

// ListUsers returns at most limit users in creation order (seq) after the
// user afterID; core.ErrNotFound if there is no user afterID.
func (h handles) ListUsers(ctx context.Context, afterID string, limit int) ([]*core.User, error) {
	var after int64
	if afterID != "" {
		var err error
		after, err = queryRow(ctx, h, "list users: cursor", func(row scanner) (int64, error) {
			var seq int64
			return seq, row.Scan(&seq)
		}, `SELECT seq FROM users WHERE id = $1`, afterID)
		if err != nil {
			return nil, err
		}
	}
	return queryRows(ctx, h, "list users", scanUser,
		`SELECT `+userColumns+` FROM users WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
}

// DeleteUser removes the user; its sessions, tokens and identities go
// with it (ON DELETE CASCADE), its log entries, which have no foreign
// key, in the same statement.
func (h handles) DeleteUser(ctx context.Context, id string) error {
	return h.execOne(ctx, "delete user", `WITH gone AS (DELETE FROM logs WHERE user_id = $1)
		DELETE FROM users WHERE id = $1`, id)
}

package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// userColumns is the column list of every user query, in scanUser order.
const userColumns = `id, created_at, updated_at, name, email, phone, password_hash,
	password_update, registration, status, email_verification, phone_verification, prefs,
	password_history, labels, accessed_at`

// CreateUser inserts u; a taken id, email or phone gives core.ErrConflict.
func (h handles) CreateUser(ctx context.Context, u *core.User) error {
	_, err := h.w.ExecContext(ctx, `INSERT INTO users (`+userColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(userArgs(u), millis(u.AccessedAt))...)
	if err != nil {
		return wrap("create user", err)
	}
	return nil
}

// UserByID returns the user or core.ErrNotFound.
func (h handles) UserByID(ctx context.Context, id string) (*core.User, error) {
	u, err := scanUser(h.r.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if err != nil {
		return nil, wrap("user by id", err)
	}
	return u, nil
}

// LockUser returns the user or core.ErrNotFound. Every transaction
// holds the database's write lock from BEGIN (the writer's _txlock is
// immediate), so inside WithTx this read is already exclusive: no other
// transaction can change the user before this one ends.
func (h handles) LockUser(ctx context.Context, id string) (*core.User, error) {
	u, err := scanUser(h.r.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if err != nil {
		return nil, wrap("lock user", err)
	}
	return u, nil
}

// UserByEmail returns the user with this email or core.ErrNotFound. ""
// matches nobody, since a missing email is stored as NULL.
func (h handles) UserByEmail(ctx context.Context, email string) (*core.User, error) {
	u, err := scanUser(h.r.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE email = ?`, email))
	if err != nil {
		return nil, wrap("user by email", err)
	}
	return u, nil
}

// UserByPhone returns the user with this phone number or
// core.ErrNotFound. "" matches nobody, since a missing phone is stored as
// NULL.
func (h handles) UserByPhone(ctx context.Context, phone string) (*core.User, error) {
	u, err := scanUser(h.r.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE phone = ?`, phone))
	if err != nil {
		return nil, wrap("user by phone", err)
	}
	return u, nil
}

// UpdateUser overwrites every field of user u.ID but the id itself;
// core.ErrNotFound if it is gone, core.ErrConflict if the new email or
// phone is taken.
func (h handles) UpdateUser(ctx context.Context, u *core.User) error {
	// The SET list is userColumns without id, which goes last, to WHERE.
	args := append(userArgs(u)[1:], u.ID)
	res, err := h.w.ExecContext(ctx, `UPDATE users SET
		created_at = ?, updated_at = ?, name = ?, email = ?, phone = ?, password_hash = ?,
		password_update = ?, registration = ?, status = ?, email_verification = ?,
		phone_verification = ?, prefs = ?, password_history = ?, labels = ?
		WHERE id = ?`, args...)
	if err != nil {
		return wrap("update user", err)
	}
	return rowsAffected("update user", res)
}

// userArgs returns u's values in userColumns order, but for accessed_at:
// only CreateUser and TouchUser write that.
func userArgs(u *core.User) []any {
	prefs := bytes.TrimSpace(u.Prefs)
	if len(prefs) == 0 {
		prefs = []byte("{}")
	}
	return []any{
		u.ID, millis(u.CreatedAt), millis(u.UpdatedAt), u.Name,
		nullIfEmpty(u.Email), nullIfEmpty(u.Phone), u.PasswordHash,
		millis(u.PasswordUpdate), millis(u.Registration),
		u.Status, u.EmailVerification, u.PhoneVerification,
		// A string, as the column is TEXT and STRICT refuses a BLOB.
		string(prefs), encodeHistory(u.PasswordHistory), encodeLabels(u.Labels),
	}
}

// scanUser reads one row of userColumns.
func scanUser(row scanner) (*core.User, error) {
	var (
		u                      core.User
		email, phone           sql.NullString
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
	u.Email = email.String
	u.Phone = phone.String
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
	res, err := h.w.ExecContext(ctx, `UPDATE users SET accessed_at = ? WHERE id = ? AND accessed_at <= ?`,
		millis(at), id, millis(at.Add(-every)))
	if err != nil {
		return false, wrap("touch user", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap("touch user", err)
	}
	return n > 0, nil
}

// ListUsers returns at most limit users in creation order (seq) after the
// user afterID; core.ErrNotFound if there is no user afterID.
func (h handles) ListUsers(ctx context.Context, afterID string, limit int) ([]*core.User, error) {
	var after int64
	if afterID != "" {
		err := h.r.QueryRowContext(ctx, `SELECT seq FROM users WHERE id = ?`, afterID).Scan(&after)
		if err != nil {
			return nil, wrap("list users: cursor", err)
		}
	}
	rows, err := h.r.QueryContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, wrap("list users", err)
	}
	defer rows.Close()
	var list []*core.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, wrap("list users", err)
		}
		list = append(list, u)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list users", err)
	}
	return list, nil
}

// DeleteUser removes the user; its sessions, tokens and identities go
// with it (ON DELETE CASCADE), its log entries, which have no foreign
// key, by a second statement. The user goes first: should the second
// fail outside a transaction, what is left is log entries of nobody,
// which the retention purge removes.
func (h handles) DeleteUser(ctx context.Context, id string) error {
	res, err := h.w.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
	if err != nil {
		return wrap("delete user", err)
	}
	if err := rowsAffected("delete user", res); err != nil {
		return err
	}
	if _, err := h.w.ExecContext(ctx, `DELETE FROM logs WHERE user_id = ?`, id); err != nil {
		return wrap("delete user logs", err)
	}
	return nil
}

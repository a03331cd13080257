package sqlite

import (
	"context"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// CreateIdentity links a provider account to a user; a pair already
// linked gives core.ErrConflict.
func (h handles) CreateIdentity(ctx context.Context, i *core.LinkedIdentity) error {
	_, err := h.w.ExecContext(ctx, `INSERT INTO identities (id, user_id, provider, provider_uid, provider_email, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, i.ID, i.UserID, i.Provider, i.ProviderUID, i.ProviderEmail, millis(i.CreatedAt))
	if err != nil {
		return wrap("create identity", err)
	}
	return nil
}

// IdentityByProvider returns the identity of (provider, uid) or
// core.ErrNotFound.
func (h handles) IdentityByProvider(ctx context.Context, provider, uid string) (*core.LinkedIdentity, error) {
	var i core.LinkedIdentity
	var created int64
	err := h.r.QueryRowContext(ctx, `SELECT id, user_id, provider, provider_uid, provider_email, created_at
		FROM identities WHERE provider = ? AND provider_uid = ?`, provider, uid).
		Scan(&i.ID, &i.UserID, &i.Provider, &i.ProviderUID, &i.ProviderEmail, &created)
	if err != nil {
		return nil, wrap("identity by provider", err)
	}
	i.CreatedAt = fromMillis(created)
	return &i, nil
}

// UpdateSessionTokens replaces a session's provider tokens and expiry.
func (h handles) UpdateSessionTokens(ctx context.Context, id, access, refresh string, expiry time.Time) error {
	res, err := h.w.ExecContext(ctx, `UPDATE sessions SET provider_access_token = ?, provider_refresh_token = ?,
		provider_access_token_expiry = ? WHERE id = ?`, access, refresh, millis(expiry), id)
	if err != nil {
		return wrap("update session tokens", err)
	}
	return rowsAffected("update session tokens", res)
}

// UserIdentities lists a user's identities, oldest first.
func (h handles) UserIdentities(ctx context.Context, userID string) ([]*core.LinkedIdentity, error) {
	rows, err := h.r.QueryContext(ctx, `SELECT id, user_id, provider, provider_uid, provider_email, created_at
		FROM identities WHERE user_id = ? ORDER BY seq`, userID)
	if err != nil {
		return nil, wrap("user identities", err)
	}
	defer rows.Close()
	var list []*core.LinkedIdentity
	for rows.Next() {
		var i core.LinkedIdentity
		var created int64
		if err := rows.Scan(&i.ID, &i.UserID, &i.Provider, &i.ProviderUID, &i.ProviderEmail, &created); err != nil {
			return nil, wrap("user identities", err)
		}
		i.CreatedAt = fromMillis(created)
		list = append(list, &i)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("user identities", err)
	}
	return list, nil
}

// DeleteIdentity removes the identity id of userID; core.ErrNotFound if
// there is none.
func (h handles) DeleteIdentity(ctx context.Context, userID, id string) error {
	res, err := h.w.ExecContext(ctx, `DELETE FROM identities WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return wrap("delete identity", err)
	}
	return rowsAffected("delete identity", res)
}

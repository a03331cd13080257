package postgres

import (
	"context"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// CreateIdentity links a provider account to a user; a (provider, provider
// user id) pair already linked, or a taken id, gives core.ErrConflict,
// an unknown user ErrForeignKey.
func (h handles) CreateIdentity(ctx context.Context, i *core.LinkedIdentity) error {
	_, err := h.exec(ctx, "create identity", `INSERT INTO identities
		(id, user_id, provider, provider_uid, provider_email, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		i.ID, i.UserID, i.Provider, i.ProviderUID, i.ProviderEmail, millis(i.CreatedAt))
	return err
}

// IdentityByProvider returns the identity of (provider, uid) or
// core.ErrNotFound.
func (h handles) IdentityByProvider(ctx context.Context, provider, uid string) (*core.LinkedIdentity, error) {
	return queryRow(ctx, h, "identity by provider", scanIdentity,
		`SELECT `+identityColumns+` FROM identities WHERE provider = $1 AND provider_uid = $2`, provider, uid)
}

// identityColumns is the column list of identity queries, in scanIdentity
// order.
const identityColumns = `id, user_id, provider, provider_uid, provider_email, created_at`

func scanIdentity(row scanner) (*core.LinkedIdentity, error) {
	var (
		i       core.LinkedIdentity
		created int64
	)
	err := row.Scan(&i.ID, &i.UserID, &i.Provider, &i.ProviderUID, &i.ProviderEmail, &created)
	if err != nil {
		return nil, err
	}
	i.CreatedAt = fromMillis(created)
	return &i, nil
}

// UserIdentities lists a user's identities, oldest first.
func (h handles) UserIdentities(ctx context.Context, userID string) ([]*core.LinkedIdentity, error) {
	return queryRows(ctx, h, "user identities", scanIdentity,
		`SELECT `+identityColumns+` FROM identities WHERE user_id = $1 ORDER BY seq`, userID)
}

// DeleteIdentity removes the identity id of userID; core.ErrNotFound if
// there is none.
func (h handles) DeleteIdentity(ctx context.Context, userID, id string) error {
	return h.execOne(ctx, "delete identity", `DELETE FROM identities WHERE id = $1 AND user_id = $2`, id, userID)
}

// UpdateSessionTokens replaces a session's provider tokens and their
// expiry; core.ErrNotFound if the session is gone.
func (h handles) UpdateSessionTokens(ctx context.Context, id, access, refresh string, expiry time.Time) error {
	return h.execOne(ctx, "update session tokens", `UPDATE sessions
		SET provider_access_token = $1, provider_refresh_token = $2, provider_access_token_expiry = $3
		WHERE id = $4`, access, refresh, millis(expiry), id)
}

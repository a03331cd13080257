package postgres

import (
	"context"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// sessionColumns is the column list of every session query, in
// sessionArgs and scanSession order.
const sessionColumns = `id, user_id, created_at, expire, provider, provider_uid,
	provider_access_token, provider_refresh_token, provider_access_token_expiry,
	secret_hash, ip, user_agent, country_code,
	os_code, os_name, os_version, client_type, client_code, client_name,
	client_version, client_engine, client_engine_version,
	device_name, device_brand, device_model, updated_at`

// CreateSession inserts s; a taken id or secret hash gives
// core.ErrConflict, an unknown user ErrForeignKey.
func (h handles) CreateSession(ctx context.Context, s *core.Session) error {
	_, err := h.exec(ctx, "create session", `INSERT INTO sessions (`+sessionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
			$18, $19, $20, $21, $22, $23, $24, $25, $26)`, sessionArgs(s)...)
	return err
}

// sessionArgs returns s's values in sessionColumns order.
func sessionArgs(s *core.Session) []any {
	d := &s.Device
	return []any{
		s.ID, s.UserID, millis(s.CreatedAt), millis(s.Expire), s.Provider, s.ProviderUID,
		s.ProviderAccessToken, s.ProviderRefreshToken, millis(s.ProviderAccessTokenExpiry),
		s.SecretHash, s.IP, s.UserAgent, s.CountryCode,
		d.OSCode, d.OSName, d.OSVersion, d.ClientType, d.ClientCode, d.ClientName,
		d.ClientVersion, d.ClientEngine, d.ClientEngineVersion,
		d.DeviceName, d.DeviceBrand, d.DeviceModel, millis(sessionUpdatedAt(s)),
	}
}

// SessionByID returns the session or core.ErrNotFound.
func (h handles) SessionByID(ctx context.Context, id string) (*core.Session, error) {
	return queryRow(ctx, h, "session by id", scanSession,
		`SELECT `+sessionColumns+` FROM sessions WHERE id = $1`, id)
}

// SessionBySecretHash returns the session whose secret hash is hash, or
// core.ErrNotFound.
func (h handles) SessionBySecretHash(ctx context.Context, hash []byte) (*core.Session, error) {
	return queryRow(ctx, h, "session by secret hash", scanSession,
		`SELECT `+sessionColumns+` FROM sessions WHERE secret_hash = $1`, notNil(hash))
}

// UserSessions lists a user's sessions in creation order, expired ones too.
func (h handles) UserSessions(ctx context.Context, userID string) ([]*core.Session, error) {
	return queryRows(ctx, h, "user sessions", scanSession,
		`SELECT `+sessionColumns+` FROM sessions WHERE user_id = $1 ORDER BY seq`, userID)
}

// DeleteSession removes one session; core.ErrNotFound if there was none.
func (h handles) DeleteSession(ctx context.Context, id string) error {
	return h.execOne(ctx, "delete session", `DELETE FROM sessions WHERE id = $1`, id)
}

// DeleteExpiredSessions removes the sessions whose expiry is before now, at
// millisecond precision, and says how many went.
func (h handles) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	return h.exec(ctx, "delete expired sessions", `DELETE FROM sessions WHERE expire < $1`, millis(now))
}

// scanSession reads one row of sessionColumns.
func scanSession(row scanner) (*core.Session, error) {
	var (
		s                          core.Session
		created, expire, tokenExpy int64
		updated                    int64
	)
	d := &s.Device
	err := row.Scan(&s.ID, &s.UserID, &created, &expire, &s.Provider, &s.ProviderUID,
		&s.ProviderAccessToken, &s.ProviderRefreshToken, &tokenExpy,
		&s.SecretHash, &s.IP, &s.UserAgent, &s.CountryCode,
		&d.OSCode, &d.OSName, &d.OSVersion, &d.ClientType, &d.ClientCode, &d.ClientName,
		&d.ClientVersion, &d.ClientEngine, &d.ClientEngineVersion,
		&d.DeviceName, &d.DeviceBrand, &d.DeviceModel, &updated)
	if err != nil {
		return nil, err
	}
	s.UpdatedAt = fromMillis(updated)
	s.CreatedAt = fromMillis(created)
	s.Expire = fromMillis(expire)
	s.ProviderAccessTokenExpiry = fromMillis(tokenExpy)
	return &s, nil
}

// sessionUpdatedAt is s.UpdatedAt, or its creation time when unset.
func sessionUpdatedAt(s *core.Session) time.Time {
	if s.UpdatedAt.IsZero() {
		return s.CreatedAt
	}
	return s.UpdatedAt
}

// ExtendSession sets a session's expiry and updated_at; core.ErrNotFound
// if the session is gone.
func (h handles) ExtendSession(ctx context.Context, id string, expire, updatedAt time.Time) error {
	return h.execOne(ctx, "extend session", `UPDATE sessions SET expire = $1, updated_at = $2 WHERE id = $3`,
		millis(expire), millis(updatedAt), id)
}

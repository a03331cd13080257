package sqlite

import (
	"context"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/internal/sqlrows"
)

// sessionColumns is the column list of every session query, in scanSession
// order.
const sessionColumns = `id, user_id, created_at, expire, provider, provider_uid,
	provider_access_token, provider_refresh_token, provider_access_token_expiry,
	secret_hash, ip, user_agent, country_code,
	os_code, os_name, os_version, client_type, client_code, client_name,
	client_version, client_engine, client_engine_version,
	device_name, device_brand, device_model, updated_at`

// CreateSession inserts s; a taken id or secret hash gives
// core.ErrConflict.
func (h handles) CreateSession(ctx context.Context, s *core.Session) error {
	d := &s.Device
	_, err := h.w.ExecContext(ctx, `INSERT INTO sessions (`+sessionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.UserID, millis(s.CreatedAt), millis(s.Expire), s.Provider, s.ProviderUID,
		s.ProviderAccessToken, s.ProviderRefreshToken, millis(s.ProviderAccessTokenExpiry),
		s.SecretHash, s.IP, s.UserAgent, s.CountryCode,
		d.OSCode, d.OSName, d.OSVersion, d.ClientType, d.ClientCode, d.ClientName,
		d.ClientVersion, d.ClientEngine, d.ClientEngineVersion,
		d.DeviceName, d.DeviceBrand, d.DeviceModel, millis(sessionUpdatedAt(s)))
	if err != nil {
		return wrap("create session", err)
	}
	return nil
}

// SessionByID returns the session or core.ErrNotFound.
func (h handles) SessionByID(ctx context.Context, id string) (*core.Session, error) {
	s, err := scanSession(h.r.QueryRowContext(ctx,
		`SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, id))
	if err != nil {
		return nil, wrap("session by id", err)
	}
	return s, nil
}

// SessionBySecretHash returns the session whose secret hash is hash, or
// core.ErrNotFound.
func (h handles) SessionBySecretHash(ctx context.Context, hash []byte) (*core.Session, error) {
	s, err := scanSession(h.r.QueryRowContext(ctx,
		`SELECT `+sessionColumns+` FROM sessions WHERE secret_hash = ?`, hash))
	if err != nil {
		return nil, wrap("session by secret hash", err)
	}
	return s, nil
}

// UserSessions lists a user's sessions in creation order, expired ones too.
func (h handles) UserSessions(ctx context.Context, userID string) ([]*core.Session, error) {
	rows, err := h.r.QueryContext(ctx,
		`SELECT `+sessionColumns+` FROM sessions WHERE user_id = ? ORDER BY seq`, userID)
	if err != nil {
		return nil, wrap("user sessions", err)
	}
	defer rows.Close()
	var list []*core.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, wrap("user sessions", err)
		}
		list = append(list, s)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("user sessions", err)
	}
	return list, nil
}

// DeleteSession removes one session; core.ErrNotFound if there was none.
func (h handles) DeleteSession(ctx context.Context, id string) error {
	res, err := h.w.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	if err != nil {
		return wrap("delete session", err)
	}
	return rowsAffected("delete session", res)
}

// DeleteExpiredSessions removes the sessions whose expiry is before now, at
// millisecond precision, and says how many went.
func (h handles) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := h.w.ExecContext(ctx, `DELETE FROM sessions WHERE expire < ?`, millis(now))
	if err != nil {
		return 0, wrap("delete expired sessions", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrap("delete expired sessions", err)
	}
	return n, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner = sqlrows.Scanner

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

// ExtendSession sets a session's expiry and updated_at.
func (h handles) ExtendSession(ctx context.Context, id string, expire, updatedAt time.Time) error {
	res, err := h.w.ExecContext(ctx, `UPDATE sessions SET expire = ?, updated_at = ? WHERE id = ?`,
		millis(expire), millis(updatedAt), id)
	if err != nil {
		return wrap("extend session", err)
	}
	return rowsAffected("extend session", res)
}

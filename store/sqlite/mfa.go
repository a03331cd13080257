package sqlite

import (
	"context"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// MFAOf returns the user's MFA state or core.ErrNotFound.
func (h handles) MFAOf(ctx context.Context, userID string) (*core.MFAState, error) {
	m := &core.MFAState{UserID: userID}
	var updated int64
	err := h.w.QueryRowContext(ctx, `SELECT enabled, totp_secret, totp_verified, updated_at
		FROM user_mfa WHERE user_id = ?`, userID).Scan(&m.Enabled, &m.TOTPSecret, &m.TOTPVerified, &updated)
	if err != nil {
		return nil, wrap("read mfa", err)
	}
	m.UpdatedAt = fromMillis(updated)
	return m, nil
}

// SaveMFA upserts the state; the last TOTP step is UseTOTPStep's alone.
func (h handles) SaveMFA(ctx context.Context, m *core.MFAState) error {
	_, err := h.w.ExecContext(ctx, `INSERT INTO user_mfa (user_id, enabled, totp_secret, totp_verified, updated_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET enabled = excluded.enabled,
		totp_secret = excluded.totp_secret, totp_verified = excluded.totp_verified, updated_at = excluded.updated_at`,
		m.UserID, m.Enabled, m.TOTPSecret, m.TOTPVerified, millis(m.UpdatedAt))
	return wrapIf("save mfa", err)
}

// UseTOTPStep moves the last step forward in one statement: of two
// callers with the same step only one changes the row.
func (h handles) UseTOTPStep(ctx context.Context, userID string, step int64) error {
	res, err := h.w.ExecContext(ctx, `UPDATE user_mfa SET totp_last_step = ?
		WHERE user_id = ? AND totp_last_step < ?`, step, userID, step)
	if err != nil {
		return wrap("use totp step", err)
	}
	return rowsAffected("use totp step", res)
}

// ReplaceRecoveryCodes drops the user's codes and inserts hashes.
func (h handles) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes [][]byte) error {
	if _, err := h.w.ExecContext(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = ?`, userID); err != nil {
		return wrap("delete recovery codes", err)
	}
	for _, hash := range hashes {
		if _, err := h.w.ExecContext(ctx, `INSERT INTO mfa_recovery_codes (user_id, hash) VALUES (?, ?)`, userID, hash); err != nil {
			return wrap("insert recovery code", err)
		}
	}
	return nil
}

// RecoveryCodeCount counts the user's unused codes.
func (h handles) RecoveryCodeCount(ctx context.Context, userID string) (int, error) {
	var n int
	err := h.w.QueryRowContext(ctx, `SELECT count(*) FROM mfa_recovery_codes WHERE user_id = ?`, userID).Scan(&n)
	return n, wrapIf("count recovery codes", err)
}

// UseRecoveryCode deletes one code; the delete decides who spent it.
func (h handles) UseRecoveryCode(ctx context.Context, userID string, hash []byte) error {
	res, err := h.w.ExecContext(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = ? AND hash = ?`, userID, hash)
	if err != nil {
		return wrap("use recovery code", err)
	}
	return rowsAffected("use recovery code", res)
}

// wrapIf is wrap for a possibly nil error.
func wrapIf(op string, err error) error {
	if err == nil {
		return nil
	}
	return wrap(op, err)
}

// AddSessionFactor records a proved factor of a session.
func (h handles) AddSessionFactor(ctx context.Context, sessionID, factor string, at time.Time) error {
	_, err := h.w.ExecContext(ctx, `INSERT INTO session_factors (session_id, factor, proved_at) VALUES (?, ?, ?)
		ON CONFLICT (session_id, factor) DO UPDATE SET proved_at = excluded.proved_at`, sessionID, factor, millis(at))
	return wrapIf("add session factor", err)
}

// SessionFactors lists a session's proved factors, oldest first.
func (h handles) SessionFactors(ctx context.Context, sessionID string) ([]string, time.Time, error) {
	rows, err := h.w.QueryContext(ctx, `SELECT factor, proved_at FROM session_factors
		WHERE session_id = ? ORDER BY proved_at, factor`, sessionID)
	if err != nil {
		return nil, time.Time{}, wrap("list session factors", err)
	}
	defer rows.Close()
	factors, last := []string{}, int64(0)
	for rows.Next() {
		var f string
		var at int64
		if err := rows.Scan(&f, &at); err != nil {
			return nil, time.Time{}, wrap("list session factors", err)
		}
		factors, last = append(factors, f), max(last, at)
	}
	if err := rows.Err(); err != nil {
		return nil, time.Time{}, wrap("list session factors", err)
	}
	return factors, fromMillis(last), nil
}

package postgres

import (
	"context"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// MFAOf returns the user's MFA state or core.ErrNotFound.
func (h handles) MFAOf(ctx context.Context, userID string) (*core.MFAState, error) {
	return queryRow(ctx, h, "read mfa", func(row scanner) (*core.MFAState, error) {
		m := &core.MFAState{UserID: userID}
		var updated int64
		err := row.Scan(&m.Enabled, &m.TOTPSecret, &m.TOTPVerified, &updated)
		m.UpdatedAt = fromMillis(updated)
		return m, err
	}, `SELECT enabled, totp_secret, totp_verified, updated_at FROM user_mfa WHERE user_id = $1`, userID)
}

// SaveMFA upserts the state; the last TOTP step is UseTOTPStep's alone.
func (h handles) SaveMFA(ctx context.Context, m *core.MFAState) error {
	_, err := h.exec(ctx, "save mfa", `INSERT INTO user_mfa (user_id, enabled, totp_secret, totp_verified, updated_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET enabled = excluded.enabled,
		totp_secret = excluded.totp_secret, totp_verified = excluded.totp_verified, updated_at = excluded.updated_at`,
		m.UserID, m.Enabled, m.TOTPSecret, m.TOTPVerified, millis(m.UpdatedAt))
	return err
}

// UseTOTPStep moves the last step forward in one statement: of two
// callers with the same step only one changes the row.
func (h handles) UseTOTPStep(ctx context.Context, userID string, step int64) error {
	return h.execOne(ctx, "use totp step", `UPDATE user_mfa SET totp_last_step = $1
		WHERE user_id = $2 AND totp_last_step < $1`, step, userID)
}

// ReplaceRecoveryCodes drops the user's codes and inserts hashes.
func (h handles) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes [][]byte) error {
	if _, err := h.exec(ctx, "delete recovery codes", `DELETE FROM mfa_recovery_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	for _, hash := range hashes {
		if _, err := h.exec(ctx, "insert recovery code",
			`INSERT INTO mfa_recovery_codes (user_id, hash) VALUES ($1, $2)`, userID, hash); err != nil {
			return err
		}
	}
	return nil
}

// RecoveryCodeCount counts the user's unused codes.
func (h handles) RecoveryCodeCount(ctx context.Context, userID string) (int, error) {
	return queryRow(ctx, h, "count recovery codes", func(row scanner) (int, error) {
		var n int
		err := row.Scan(&n)
		return n, err
	}, `SELECT count(*) FROM mfa_recovery_codes WHERE user_id = $1`, userID)
}

// UseRecoveryCode deletes one code; the delete decides who spent it.
func (h handles) UseRecoveryCode(ctx context.Context, userID string, hash []byte) error {
	return h.execOne(ctx, "use recovery code",
		`DELETE FROM mfa_recovery_codes WHERE user_id = $1 AND hash = $2`, userID, hash)
}

// AddSessionFactor records a proved factor of a session.
func (h handles) AddSessionFactor(ctx context.Context, sessionID, factor string, at time.Time) error {
	_, err := h.exec(ctx, "add session factor", `INSERT INTO session_factors (session_id, factor, proved_at)
		VALUES ($1, $2, $3) ON CONFLICT (session_id, factor) DO UPDATE SET proved_at = excluded.proved_at`,
		sessionID, factor, millis(at))
	return err
}

// proved is one row of session_factors.
type proved struct {
	factor string
	at     int64
}

// SessionFactors lists a session's proved factors, oldest first.
func (h handles) SessionFactors(ctx context.Context, sessionID string) ([]string, time.Time, error) {
	rows, err := queryRows(ctx, h, "list session factors", func(row scanner) (proved, error) {
		var p proved
		err := row.Scan(&p.factor, &p.at)
		return p, err
	}, `SELECT factor, proved_at FROM session_factors WHERE session_id = $1 ORDER BY proved_at, factor`, sessionID)
	if err != nil {
		return nil, time.Time{}, err
	}
	factors, last := []string{}, int64(0)
	for _, p := range rows {
		factors, last = append(factors, p.factor), max(last, p.at)
	}
	return factors, fromMillis(last), nil
}

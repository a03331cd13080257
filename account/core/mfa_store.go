package core

import (
	"context"
	"time"
)

// MFAState is a user's second-factor setup as the store keeps it. A user
// who never touched MFA has none (ErrNotFound), which means all off.
type MFAState struct {
	UserID string
	// Enabled is the account's `mfa` switch: sign-in then needs a
	// second factor.
	Enabled bool
	// TOTPSecret is the authenticator's secret, sealed with the project
	// key; nil when there is no authenticator.
	TOTPSecret []byte
	// TOTPVerified says a first code proved the authenticator works;
	// until then it is no factor.
	TOTPVerified bool
	UpdatedAt    time.Time
}

// MFA persists second factors. TOTP time steps and recovery codes are
// spent by the store in one statement, so a code works once across all
// instances.
type MFA interface {
	// MFAOf returns the user's state or ErrNotFound.
	MFAOf(ctx context.Context, userID string) (*MFAState, error)
	// SaveMFA inserts or overwrites the state of m.UserID (the user must
	// exist), leaving the last used TOTP step alone.
	SaveMFA(ctx context.Context, m *MFAState) error
	// UseTOTPStep records step as the user's last accepted TOTP time step
	// if it is after the last one; ErrNotFound if it is not (a replay or
	// an older code) or the user has no state.
	UseTOTPStep(ctx context.Context, userID string, step int64) error
	// ReplaceRecoveryCodes drops the user's recovery codes and stores the
	// given hashes instead (inside WithTx all or nothing).
	ReplaceRecoveryCodes(ctx context.Context, userID string, hashes [][]byte) error
	// RecoveryCodeCount says how many unused recovery codes the user has.
	RecoveryCodeCount(ctx context.Context, userID string) (int, error)
	// UseRecoveryCode deletes the user's recovery code with this hash;
	// ErrNotFound if there is none. Two concurrent calls never both
	// succeed.
	UseRecoveryCode(ctx context.Context, userID string, hash []byte) error
	// AddSessionFactor records that the session proved factor at at (a
	// second time moves the time on).
	AddSessionFactor(ctx context.Context, sessionID, factor string, at time.Time) error
	// SessionFactors lists the factors the session proved after its
	// sign-in, in the order proved, and when the last one was; none is
	// an empty list and the zero time.
	SessionFactors(ctx context.Context, sessionID string) ([]string, time.Time, error)
}

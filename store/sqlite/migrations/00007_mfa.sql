-- Multi-factor authentication: each user's switch and authenticator, the
-- last TOTP time step accepted (so a code works once on every instance),
-- the hashes of unused recovery codes, and the factors each session
-- proved after its sign-in.

-- +goose Up
CREATE TABLE user_mfa (
	user_id        TEXT    PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	enabled        INTEGER NOT NULL DEFAULT 0,
	totp_secret    BLOB,
	totp_verified  INTEGER NOT NULL DEFAULT 0,
	totp_last_step INTEGER NOT NULL DEFAULT 0,
	updated_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE mfa_recovery_codes (
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash    BLOB NOT NULL,
	PRIMARY KEY (user_id, hash)
) STRICT;

CREATE TABLE session_factors (
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	factor     TEXT NOT NULL,
	proved_at  INTEGER NOT NULL,
	PRIMARY KEY (session_id, factor)
) STRICT;

-- +goose Down
DROP TABLE session_factors;
DROP TABLE mfa_recovery_codes;
DROP TABLE user_mfa;

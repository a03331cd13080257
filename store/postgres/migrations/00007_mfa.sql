-- Multi-factor authentication: each user's switch and authenticator, the
-- last TOTP time step accepted (so a code works once on every instance),
-- the hashes of unused recovery codes, and the factors each session
-- proved after its sign-in.

-- +goose Up
CREATE TABLE user_mfa (
	user_id        TEXT    PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	enabled        BOOLEAN NOT NULL DEFAULT FALSE,
	totp_secret    BYTEA,
	totp_verified  BOOLEAN NOT NULL DEFAULT FALSE,
	totp_last_step BIGINT NOT NULL DEFAULT 0,
	updated_at     BIGINT NOT NULL
);

CREATE TABLE mfa_recovery_codes (
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash    BYTEA NOT NULL,
	PRIMARY KEY (user_id, hash)
);

CREATE TABLE session_factors (
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	factor     TEXT NOT NULL,
	proved_at  BIGINT NOT NULL,
	PRIMARY KEY (session_id, factor)
);

-- +goose Down
DROP TABLE session_factors;
DROP TABLE mfa_recovery_codes;
DROP TABLE user_mfa;

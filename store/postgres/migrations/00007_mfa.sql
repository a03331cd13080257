-- Multi-factor authentication: each user's switch and authenticator, the
-- last TOTP time step accepted (so a code works once on every instance),
-- and the hashes of unused recovery codes.

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

-- +goose Down
DROP TABLE mfa_recovery_codes;
DROP TABLE user_mfa;

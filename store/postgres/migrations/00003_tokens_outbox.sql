-- Single-use tokens sent by mail or SMS, and the outbox that delivers them.

-- +goose Up
CREATE TABLE tokens (
    seq         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    user_id     TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- An account.TokenType.
    type        INTEGER NOT NULL,
    -- SHA-256 of the secret; the secret itself is never stored.
    secret_hash BYTEA   NOT NULL UNIQUE,
    created_at  BIGINT  NOT NULL DEFAULT 0,
    expire      BIGINT  NOT NULL DEFAULT 0,
    ip          TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX tokens_user_id_type ON tokens (user_id, type);
-- DeleteExpiredTokens.
CREATE INDEX tokens_expire ON tokens (expire);

CREATE TABLE outbox (
    -- seq is the order ClaimMessages hands messages out in.
    seq           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id            TEXT    NOT NULL UNIQUE,
    channel       TEXT    NOT NULL,
    -- Encrypted: it holds the secret link or code.
    payload       BYTEA   NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL DEFAULT 0,
    next_attempt  BIGINT  NOT NULL DEFAULT 0,
    -- A worker's claim lapses at claimed_until; 0 means unclaimed.
    claimed_until BIGINT  NOT NULL DEFAULT 0,
    last_error    TEXT    NOT NULL DEFAULT ''
);

-- ClaimMessages: the due, unclaimed messages.
CREATE INDEX outbox_next_attempt_claimed_until ON outbox (next_attempt, claimed_until);

-- +goose Down
DROP TABLE outbox;
DROP TABLE tokens;

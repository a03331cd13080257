-- Users, sessions and settings. Times are BIGINT unix milliseconds, 0 for
-- the zero time, as in the SQLite store; secrets and hashes are BYTEA.

-- +goose Up
CREATE TABLE users (
    seq                BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                 TEXT    NOT NULL UNIQUE,
    created_at         BIGINT  NOT NULL DEFAULT 0,
    updated_at         BIGINT  NOT NULL DEFAULT 0,
    name               TEXT    NOT NULL DEFAULT '',
    -- NULL rather than '' when absent: a UNIQUE constraint lets many rows
    -- hold NULL, so many users can have no email or phone.
    email              TEXT    UNIQUE,
    phone              TEXT    UNIQUE,
    password_hash      TEXT    NOT NULL DEFAULT '',
    password_update    BIGINT  NOT NULL DEFAULT 0,
    registration       BIGINT  NOT NULL DEFAULT 0,
    status             BOOLEAN NOT NULL DEFAULT FALSE,
    email_verification BOOLEAN NOT NULL DEFAULT FALSE,
    phone_verification BOOLEAN NOT NULL DEFAULT FALSE,
    -- TEXT, not JSONB: the exact bytes the service stored come back.
    prefs              TEXT    NOT NULL DEFAULT '{}'
);

CREATE TABLE sessions (
    -- seq keeps creation order, which UserSessions returns.
    seq                          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                           TEXT   NOT NULL UNIQUE,
    user_id                      TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at                   BIGINT NOT NULL DEFAULT 0,
    expire                       BIGINT NOT NULL DEFAULT 0,
    provider                     TEXT   NOT NULL DEFAULT '',
    provider_uid                 TEXT   NOT NULL DEFAULT '',
    provider_access_token        TEXT   NOT NULL DEFAULT '',
    provider_refresh_token       TEXT   NOT NULL DEFAULT '',
    provider_access_token_expiry BIGINT NOT NULL DEFAULT 0,
    secret_hash                  BYTEA  NOT NULL UNIQUE,
    ip                           TEXT   NOT NULL DEFAULT '',
    user_agent                   TEXT   NOT NULL DEFAULT '',
    country_code                 TEXT   NOT NULL DEFAULT '',
    os_code                      TEXT   NOT NULL DEFAULT '',
    os_name                      TEXT   NOT NULL DEFAULT '',
    os_version                   TEXT   NOT NULL DEFAULT '',
    client_type                  TEXT   NOT NULL DEFAULT '',
    client_code                  TEXT   NOT NULL DEFAULT '',
    client_name                  TEXT   NOT NULL DEFAULT '',
    client_version               TEXT   NOT NULL DEFAULT '',
    client_engine                TEXT   NOT NULL DEFAULT '',
    client_engine_version        TEXT   NOT NULL DEFAULT '',
    device_name                  TEXT   NOT NULL DEFAULT '',
    device_brand                 TEXT   NOT NULL DEFAULT '',
    device_model                 TEXT   NOT NULL DEFAULT ''
);

CREATE INDEX sessions_user_id_seq ON sessions (user_id, seq);
CREATE INDEX sessions_expire ON sessions (expire);

CREATE TABLE settings (
    key   TEXT  NOT NULL PRIMARY KEY,
    value BYTEA NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE sessions;
DROP TABLE users;

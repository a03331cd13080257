-- Times are unix milliseconds, 0 for the zero time; booleans are 0/1.
-- STRICT makes SQLite reject a value of the wrong type instead of storing it.

-- +goose Up
CREATE TABLE users (
    seq                INTEGER PRIMARY KEY AUTOINCREMENT,
    id                 TEXT    NOT NULL UNIQUE,
    created_at         INTEGER NOT NULL DEFAULT 0,
    updated_at         INTEGER NOT NULL DEFAULT 0,
    name               TEXT    NOT NULL DEFAULT '',
    -- NULL rather than '' when absent, so that many users can have none.
    email              TEXT    UNIQUE,
    phone              TEXT    UNIQUE,
    password_hash      TEXT    NOT NULL DEFAULT '',
    password_update    INTEGER NOT NULL DEFAULT 0,
    registration       INTEGER NOT NULL DEFAULT 0,
    status             INTEGER NOT NULL DEFAULT 0,
    email_verification INTEGER NOT NULL DEFAULT 0,
    phone_verification INTEGER NOT NULL DEFAULT 0,
    prefs              TEXT    NOT NULL DEFAULT '{}'
) STRICT;

CREATE TABLE sessions (
    -- seq keeps creation order, which UserSessions returns.
    seq                          INTEGER PRIMARY KEY AUTOINCREMENT,
    id                           TEXT    NOT NULL UNIQUE,
    user_id                      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at                   INTEGER NOT NULL DEFAULT 0,
    expire                       INTEGER NOT NULL DEFAULT 0,
    provider                     TEXT    NOT NULL DEFAULT '',
    provider_uid                 TEXT    NOT NULL DEFAULT '',
    provider_access_token        TEXT    NOT NULL DEFAULT '',
    provider_refresh_token       TEXT    NOT NULL DEFAULT '',
    provider_access_token_expiry INTEGER NOT NULL DEFAULT 0,
    secret_hash                  BLOB    NOT NULL UNIQUE,
    ip                           TEXT    NOT NULL DEFAULT '',
    user_agent                   TEXT    NOT NULL DEFAULT '',
    country_code                 TEXT    NOT NULL DEFAULT '',
    os_code                      TEXT    NOT NULL DEFAULT '',
    os_name                      TEXT    NOT NULL DEFAULT '',
    os_version                   TEXT    NOT NULL DEFAULT '',
    client_type                  TEXT    NOT NULL DEFAULT '',
    client_code                  TEXT    NOT NULL DEFAULT '',
    client_name                  TEXT    NOT NULL DEFAULT '',
    client_version               TEXT    NOT NULL DEFAULT '',
    client_engine                TEXT    NOT NULL DEFAULT '',
    client_engine_version        TEXT    NOT NULL DEFAULT '',
    device_name                  TEXT    NOT NULL DEFAULT '',
    device_brand                 TEXT    NOT NULL DEFAULT '',
    device_model                 TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX sessions_user_id_seq ON sessions (user_id, seq);
CREATE INDEX sessions_expire ON sessions (expire);

CREATE TABLE settings (
    key   TEXT NOT NULL PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

-- +goose Down
DROP TABLE settings;
DROP TABLE sessions;
DROP TABLE users;

-- The password history of users and the security log.

-- +goose Up
-- A JSON array of password hashes, newest last; '[]' when none are kept.
ALTER TABLE users ADD COLUMN password_history TEXT NOT NULL DEFAULT '[]';

CREATE TABLE logs (
    -- seq breaks ties between entries of the same millisecond: the later
    -- insert is the newer entry.
    seq                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                    TEXT   NOT NULL UNIQUE,
    -- No foreign key: the log of a user is kept whatever happens to the
    -- users row, and the event may even come before it.
    user_id               TEXT   NOT NULL,
    event                 TEXT   NOT NULL DEFAULT '',
    user_email            TEXT   NOT NULL DEFAULT '',
    user_name             TEXT   NOT NULL DEFAULT '',
    mode                  TEXT   NOT NULL DEFAULT '',
    ip                    TEXT   NOT NULL DEFAULT '',
    time                  BIGINT NOT NULL DEFAULT 0,
    user_agent            TEXT   NOT NULL DEFAULT '',
    country_code          TEXT   NOT NULL DEFAULT '',
    os_code               TEXT   NOT NULL DEFAULT '',
    os_name               TEXT   NOT NULL DEFAULT '',
    os_version            TEXT   NOT NULL DEFAULT '',
    client_type           TEXT   NOT NULL DEFAULT '',
    client_code           TEXT   NOT NULL DEFAULT '',
    client_name           TEXT   NOT NULL DEFAULT '',
    client_version        TEXT   NOT NULL DEFAULT '',
    client_engine         TEXT   NOT NULL DEFAULT '',
    client_engine_version TEXT   NOT NULL DEFAULT '',
    device_name           TEXT   NOT NULL DEFAULT '',
    device_brand          TEXT   NOT NULL DEFAULT '',
    device_model          TEXT   NOT NULL DEFAULT ''
);

-- UserLogs: one user's entries, newest first.
CREATE INDEX logs_user_id_time_seq ON logs (user_id, time DESC, seq DESC);
-- DeleteLogsBefore.
CREATE INDEX logs_time ON logs (time);

-- +goose Down
DROP TABLE logs;
ALTER TABLE users DROP COLUMN password_history;

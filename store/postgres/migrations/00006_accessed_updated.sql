-- Today's response formats: when a user last used the API, and when a
-- session last changed (extended).

-- +goose Up
ALTER TABLE users ADD COLUMN accessed_at BIGINT NOT NULL DEFAULT 0;
-- Existing sessions have not changed since they were created.
ALTER TABLE sessions ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET updated_at = created_at;

-- +goose Down
ALTER TABLE sessions DROP COLUMN updated_at;
ALTER TABLE users DROP COLUMN accessed_at;

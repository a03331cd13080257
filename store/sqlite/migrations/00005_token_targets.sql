-- +goose Up
-- SHA-256 of the email address or phone number a token was sent to: the
-- token is accepted only while its user still has that address. Tokens
-- from before this version have none and are refused.
ALTER TABLE tokens ADD COLUMN target BLOB NOT NULL DEFAULT X'';

-- +goose Down
ALTER TABLE tokens DROP COLUMN target;

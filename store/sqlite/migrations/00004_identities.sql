-- +goose Up
-- Provider accounts linked to users, so an OAuth2 sign-in finds its user
-- by (provider, provider user id) before anything else.
CREATE TABLE identities (
	seq            INTEGER PRIMARY KEY AUTOINCREMENT,
	id             TEXT    NOT NULL UNIQUE,
	user_id        TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	provider       TEXT    NOT NULL,
	provider_uid   TEXT    NOT NULL,
	provider_email TEXT    NOT NULL DEFAULT '',
	created_at     INTEGER NOT NULL,
	UNIQUE (provider, provider_uid)
) STRICT;

CREATE INDEX identities_user ON identities (user_id);

-- +goose Down
DROP TABLE identities;

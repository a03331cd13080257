-- Provider accounts linked to users, so an OAuth2 sign-in finds its user
-- by (provider, provider user id) before anything else.

-- +goose Up
CREATE TABLE identities (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             TEXT   NOT NULL UNIQUE,
    user_id        TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider       TEXT   NOT NULL,
    provider_uid   TEXT   NOT NULL,
    provider_email TEXT   NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL DEFAULT 0,
    UNIQUE (provider, provider_uid)
);

CREATE INDEX identities_user_id ON identities (user_id);

-- +goose Down
DROP TABLE identities;

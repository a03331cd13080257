-- Signing keys of identity assertions (X-Account-Assertion): the private
-- key sealed with the project secret, the public key served as JWKS.
-- At most one key signs (retired_at NULL); retired keys stay for the
-- overlap window, then a rotation deletes them.

-- +goose Up
CREATE TABLE assertion_keys (
	id          TEXT    PRIMARY KEY,
	alg         TEXT    NOT NULL,
	private_key BLOB    NOT NULL,
	public_key  BLOB    NOT NULL,
	created_at  INTEGER NOT NULL,
	retired_at  INTEGER
) STRICT;

CREATE UNIQUE INDEX assertion_keys_one_signing ON assertion_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;

-- +goose Down
DROP TABLE assertion_keys;

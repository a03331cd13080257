-- User labels, and the indexes that keep GET /v1/users a bounded query at
-- any number of users. users.labels (a JSON array, as password_history)
-- is what the store reads; user_labels mirrors it, one row per label,
-- kept by a trigger so every write of the column updates it in the same
-- statement, and its (label, user_seq) key lists a label's users in
-- creation order; user_count keeps the number of users.

-- +goose Up
ALTER TABLE users ADD COLUMN labels TEXT NOT NULL DEFAULT '[]';

CREATE TABLE user_labels (
	label    TEXT   NOT NULL,
	user_seq BIGINT NOT NULL REFERENCES users (seq) ON DELETE CASCADE,
	PRIMARY KEY (label, user_seq)
);

-- Finds a user's rows when their labels change or they go.
CREATE INDEX user_labels_user_seq ON user_labels (user_seq);

-- Filters on status keep creation order.
CREATE INDEX users_status_seq ON users (status, seq);

-- +goose StatementBegin
CREATE FUNCTION users_labels_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' THEN
		DELETE FROM user_labels WHERE user_seq = OLD.seq;
	END IF;
	INSERT INTO user_labels (label, user_seq)
		SELECT DISTINCT value, NEW.seq FROM jsonb_array_elements_text(NEW.labels::jsonb)
		ON CONFLICT DO NOTHING;
	RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER users_labels_insert AFTER INSERT ON users
	FOR EACH ROW WHEN (NEW.labels <> '[]') EXECUTE FUNCTION users_labels_sync();

CREATE TRIGGER users_labels_update AFTER UPDATE OF labels ON users
	FOR EACH ROW WHEN (OLD.labels IS DISTINCT FROM NEW.labels) EXECUTE FUNCTION users_labels_sync();

-- The number of users, so that the total of an unfiltered list is a few
-- rows read, not up to 5000. Sixteen slots, one picked at random by each
-- insert or delete statement, so concurrent sign-ups seldom wait for one
-- another's row lock. Writes are held off while the first count is taken.
CREATE TABLE user_count (
	slot SMALLINT PRIMARY KEY,
	n    BIGINT NOT NULL
);
LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO user_count (slot, n) SELECT s, 0 FROM generate_series(0, 15) AS s;
UPDATE user_count SET n = (SELECT count(*) FROM users) WHERE slot = 0;

-- +goose StatementBegin
CREATE FUNCTION users_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	-- Drawn once: random() in the WHERE clause would be drawn per row.
	s SMALLINT := floor(random() * 16);
BEGIN
	UPDATE user_count SET n = n + (SELECT count(*) FROM inserted) WHERE slot = s;
	RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION users_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	-- Drawn once: random() in the WHERE clause would be drawn per row.
	s SMALLINT := floor(random() * 16);
BEGIN
	UPDATE user_count SET n = n - (SELECT count(*) FROM deleted) WHERE slot = s;
	RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER users_count_insert AFTER INSERT ON users
	REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION users_count_insert();
CREATE TRIGGER users_count_delete AFTER DELETE ON users
	REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION users_count_delete();

-- +goose Down
DROP TRIGGER users_count_delete ON users;
DROP TRIGGER users_count_insert ON users;
DROP FUNCTION users_count_delete();
DROP FUNCTION users_count_insert();
DROP TABLE user_count;
DROP TRIGGER users_labels_update ON users;
DROP TRIGGER users_labels_insert ON users;
DROP FUNCTION users_labels_sync();
DROP INDEX users_status_seq;
DROP TABLE user_labels;
ALTER TABLE users DROP COLUMN labels;

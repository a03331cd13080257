-- User labels, and the indexes that keep GET /v1/users a bounded query at
-- any number of users. users.labels (a JSON array, as password_history)
-- is what the store reads; user_labels mirrors it, one row per label,
-- kept by a trigger so every write of the column updates it in the same
-- statement, and its (label, user_seq) key lists a label's users in
-- creation order.

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

-- +goose Down
DROP TRIGGER users_labels_update ON users;
DROP TRIGGER users_labels_insert ON users;
DROP FUNCTION users_labels_sync();
DROP INDEX users_status_seq;
DROP TABLE user_labels;
ALTER TABLE users DROP COLUMN labels;

-- User labels, and the indexes that keep GET /v1/users a bounded query at
-- any number of users. users.labels (a JSON array) is what the store
-- reads; user_labels mirrors it, one row per label, kept by triggers so
-- every write of the column updates it in the same statement, and its
-- (label, user_seq) key lists a label's users in creation order.

-- +goose Up
ALTER TABLE users ADD COLUMN labels TEXT NOT NULL DEFAULT '[]';

CREATE TABLE user_labels (
	label    TEXT    NOT NULL,
	user_seq INTEGER NOT NULL REFERENCES users (seq) ON DELETE CASCADE,
	PRIMARY KEY (label, user_seq)
) STRICT, WITHOUT ROWID;

-- Finds a user's rows when their labels change or they go.
CREATE INDEX user_labels_user_seq ON user_labels (user_seq);

-- Filters on status keep creation order.
CREATE INDEX users_status_seq ON users (status, seq);

-- +goose StatementBegin
CREATE TRIGGER users_labels_insert AFTER INSERT ON users
WHEN new.labels <> '[]'
BEGIN
	INSERT OR IGNORE INTO user_labels (label, user_seq)
		SELECT value, new.seq FROM json_each(new.labels);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER users_labels_update AFTER UPDATE OF labels ON users
WHEN old.labels IS NOT new.labels
BEGIN
	DELETE FROM user_labels WHERE user_seq = old.seq;
	INSERT OR IGNORE INTO user_labels (label, user_seq)
		SELECT value, new.seq FROM json_each(new.labels);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER users_labels_update;
DROP TRIGGER users_labels_insert;
DROP INDEX users_status_seq;
DROP TABLE user_labels;
ALTER TABLE users DROP COLUMN labels;

-- User labels, and the indexes that keep GET /v1/users a bounded query at
-- any number of users. users.labels (a JSON array) is what the store
-- reads; user_labels mirrors it, one row per label, kept by triggers so
-- every write of the column updates it in the same statement, and its
-- (label, user_seq) key lists a label's users in creation order;
-- user_count keeps the number of users.

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

-- The number of users, so that the total of an unfiltered list is one
-- row read, not up to 5000.
CREATE TABLE user_count (
	slot INTEGER PRIMARY KEY,
	n    INTEGER NOT NULL
) STRICT;
INSERT INTO user_count (slot, n) SELECT 0, count(*) FROM users;

-- +goose StatementBegin
CREATE TRIGGER users_count_insert AFTER INSERT ON users
BEGIN
	UPDATE user_count SET n = n + 1 WHERE slot = 0;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER users_count_delete AFTER DELETE ON users
BEGIN
	UPDATE user_count SET n = n - 1 WHERE slot = 0;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER users_count_delete;
DROP TRIGGER users_count_insert;
DROP TABLE user_count;
DROP TRIGGER users_labels_update;
DROP TRIGGER users_labels_insert;
DROP INDEX users_status_seq;
DROP TABLE user_labels;
ALTER TABLE users DROP COLUMN labels;

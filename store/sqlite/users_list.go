package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/internal/userquery"
)

// SetUserLabels replaces the labels of user id; core.ErrNotFound if
// there is no such user. The user_labels mirror follows by trigger.
func (h handles) SetUserLabels(ctx context.Context, id string, labels []string) error {
	res, err := h.w.ExecContext(ctx, `UPDATE users SET labels = ? WHERE id = ?`, encodeLabels(labels), id)
	if err != nil {
		return wrap("set user labels", err)
	}
	return rowsAffected("set user labels", res)
}

// encodeLabels stores labels as a JSON array, nil as [].
func encodeLabels(labels []string) string {
	if len(labels) == 0 {
		return "[]"
	}
	// Marshal cannot fail on a []string.
	b, _ := json.Marshal(labels)
	return string(b)
}

// decodeLabels is the inverse of encodeLabels; an empty array gives nil.
func decodeLabels(s string) ([]string, error) {
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	if len(l) == 0 {
		return nil, nil
	}
	return l, nil
}

// QueryUsers returns one page of users (see core.Users).
func (h handles) QueryUsers(ctx context.Context, q core.UserQuery) ([]*core.User, error) {
	var cursor int64
	if q.Cursor != "" {
		if err := h.r.QueryRowContext(ctx, `SELECT seq FROM users WHERE id = ?`, q.Cursor).Scan(&cursor); err != nil {
			return nil, wrap("query users: cursor", err)
		}
	}
	query, args, reverse := userquery.Page(userquery.SQLite, userColumns, q, cursor)
	list, err := queryRows(ctx, h.r, "query users", scanUser, query, args...)
	if reverse {
		slices.Reverse(list)
	}
	return list, err
}

// CountUsers counts the users matching f, up to max.
func (h handles) CountUsers(ctx context.Context, f core.UserFilter, max int) (int, error) {
	query, args := userquery.Count(userquery.SQLite, f, max)
	var n int
	if err := h.r.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, wrap("count users", err)
	}
	return min(n, max), nil
}

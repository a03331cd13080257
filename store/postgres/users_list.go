package postgres

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
	return h.execOne(ctx, "set user labels", `UPDATE users SET labels = $1 WHERE id = $2`, encodeLabels(labels), id)
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
		var err error
		cursor, err = queryRow(ctx, h, "query users: cursor", func(row scanner) (int64, error) {
			var seq int64
			return seq, row.Scan(&seq)
		}, `SELECT seq FROM users WHERE id = $1`, q.Cursor)
		if err != nil {
			return nil, err
		}
	}
	query, args, reverse := userquery.Page(userquery.Postgres, userColumns, q, cursor)
	list, err := queryRows(ctx, h, "query users", scanUser, query, args...)
	if reverse {
		slices.Reverse(list)
	}
	return list, err
}

// CountUsers counts the users matching f, up to max.
func (h handles) CountUsers(ctx context.Context, f core.UserFilter, max int) (int, error) {
	query, args := userquery.Count(userquery.Postgres, f, max)
	n, err := queryRow(ctx, h, "count users", func(row scanner) (int, error) {
		var n int
		return n, row.Scan(&n)
	}, query, args...)
	return min(n, max), err
}

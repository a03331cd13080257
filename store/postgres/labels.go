package postgres

import (
	"context"
	"encoding/json"
	"fmt"
)

// SetUserLabels replaces the labels of user id; account.ErrNotFound if
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

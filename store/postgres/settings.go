package postgres

import (
	"context"
)

// SettingOrInit returns the value stored under key, storing value first if
// there is none yet. The insert does nothing when the key exists (waiting,
// if another transaction is inserting it, for that one to finish), so
// concurrent callers all read back the first value stored.
func (h handles) SettingOrInit(ctx context.Context, key string, value []byte) ([]byte, error) {
	if _, err := h.exec(ctx, "init setting",
		`INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
		key, notNil(value)); err != nil {
		return nil, err
	}
	return queryRow(ctx, h, "read setting", func(row scanner) ([]byte, error) {
		var v []byte
		err := row.Scan(&v)
		return v, err
	}, `SELECT value FROM settings WHERE key = $1`, key)
}

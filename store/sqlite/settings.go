package sqlite

import (
	"context"
)

// SettingOrInit returns the value stored under key, storing value first if
// there is none yet. The insert does nothing when the key exists, so
// concurrent callers all read back the first value stored.
func (h handles) SettingOrInit(ctx context.Context, key string, value []byte) ([]byte, error) {
	if value == nil {
		// nil would bind as NULL, which the NOT NULL column refuses.
		value = []byte{}
	}
	_, err := h.w.ExecContext(ctx,
		`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, value)
	if err != nil {
		return nil, wrap("init setting", err)
	}
	// Read back on the writer: it is where the row was just committed (or
	// the transaction that holds it), so no reader snapshot can miss it.
	var stored []byte
	if err := h.w.QueryRowContext(ctx,
		`SELECT value FROM settings WHERE key = ?`, key).Scan(&stored); err != nil {
		return nil, wrap("read setting", err)
	}
	return stored, nil
}

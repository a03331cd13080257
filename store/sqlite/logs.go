package sqlite

import (
	"context"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// logColumns is the column list of every log query, in scanLog order.
const logColumns = `id, user_id, event, user_email, user_name, mode, ip, time,
	user_agent, country_code,
	os_code, os_name, os_version, client_type, client_code, client_name,
	client_version, client_engine, client_engine_version,
	device_name, device_brand, device_model`

// CreateLog inserts one entry; a taken id gives core.ErrConflict.
func (h handles) CreateLog(ctx context.Context, e *core.LogEntry) error {
	d := &e.Device
	_, err := h.w.ExecContext(ctx, `INSERT INTO logs (`+logColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.UserID, e.Event, e.UserEmail, e.UserName, e.Mode, e.IP, millis(e.Time),
		e.UserAgent, e.CountryCode,
		d.OSCode, d.OSName, d.OSVersion, d.ClientType, d.ClientCode, d.ClientName,
		d.ClientVersion, d.ClientEngine, d.ClientEngineVersion,
		d.DeviceName, d.DeviceBrand, d.DeviceModel)
	if err != nil {
		return wrap("create log", err)
	}
	return nil
}

// UserLogs returns a user's entries newest first, entries of the same
// millisecond in reverse insertion order, skipping offset and returning at
// most limit (none if limit <= 0), plus the number of the user's entries.
func (h handles) UserLogs(ctx context.Context, userID string, limit, offset int) ([]*core.LogEntry, int, error) {
	offset = max(offset, 0)
	if limit <= 0 {
		total, err := h.countLogs(ctx, userID)
		return nil, total, err
	}
	// The window counts the rows WHERE selects, before LIMIT, so the page
	// and the total come from the same snapshot.
	rows, err := h.r.QueryContext(ctx, `SELECT `+logColumns+`, COUNT(*) OVER ()
		FROM logs WHERE user_id = ? ORDER BY time DESC, seq DESC LIMIT ? OFFSET ?`,
		userID, limit, offset)
	if err != nil {
		return nil, 0, wrap("user logs", err)
	}
	defer rows.Close()
	var (
		list  []*core.LogEntry
		total int
	)
	for rows.Next() {
		e, err := scanLog(rows, &total)
		if err != nil {
			return nil, 0, wrap("user logs", err)
		}
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap("user logs", err)
	}
	if len(list) == 0 {
		// Past the end, or no entries at all: no row carried the count.
		total, err = h.countLogs(ctx, userID)
	}
	return list, total, err
}

// countLogs returns the number of a user's entries.
func (h handles) countLogs(ctx context.Context, userID string) (int, error) {
	var n int
	err := h.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM logs WHERE user_id = ?`, userID).Scan(&n)
	if err != nil {
		return 0, wrap("count logs", err)
	}
	return n, nil
}

// DeleteLogsBefore removes the entries whose time is before t, at
// millisecond precision, and says how many went.
func (h handles) DeleteLogsBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := h.w.ExecContext(ctx, `DELETE FROM logs WHERE time < ?`, millis(t))
	if err != nil {
		return 0, wrap("delete logs", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrap("delete logs", err)
	}
	return n, nil
}

// scanLog reads one row of logColumns followed by the count of the window.
func scanLog(row scanner, total *int) (*core.LogEntry, error) {
	var (
		e  core.LogEntry
		ms int64
	)
	d := &e.Device
	err := row.Scan(&e.ID, &e.UserID, &e.Event, &e.UserEmail, &e.UserName, &e.Mode, &e.IP, &ms,
		&e.UserAgent, &e.CountryCode,
		&d.OSCode, &d.OSName, &d.OSVersion, &d.ClientType, &d.ClientCode, &d.ClientName,
		&d.ClientVersion, &d.ClientEngine, &d.ClientEngineVersion,
		&d.DeviceName, &d.DeviceBrand, &d.DeviceModel, total)
	if err != nil {
		return nil, err
	}
	e.Time = fromMillis(ms)
	return &e, nil
}

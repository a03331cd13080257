package postgres

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
	_, err := h.exec(ctx, "create log", `INSERT INTO logs (`+logColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
			$18, $19, $20, $21, $22)`,
		e.ID, e.UserID, e.Event, e.UserEmail, e.UserName, e.Mode, e.IP, millis(e.Time),
		e.UserAgent, e.CountryCode,
		d.OSCode, d.OSName, d.OSVersion, d.ClientType, d.ClientCode, d.ClientName,
		d.ClientVersion, d.ClientEngine, d.ClientEngineVersion,
		d.DeviceName, d.DeviceBrand, d.DeviceModel)
	return err
}

// loggedEntry is an entry with the count of the window it came with.
type loggedEntry struct {
	e     *core.LogEntry
	total int
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
	rows, err := queryRows(ctx, h, "user logs", scanLog, `SELECT `+logColumns+`, COUNT(*) OVER ()
		FROM logs WHERE user_id = $1 ORDER BY time DESC, seq DESC LIMIT $2 OFFSET $3`,
		userID, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	if len(rows) == 0 {
		// Past the end, or no entries at all: no row carried the count.
		total, err := h.countLogs(ctx, userID)
		return nil, total, err
	}
	list := make([]*core.LogEntry, len(rows))
	for i, r := range rows {
		list[i] = r.e
	}
	return list, rows[0].total, nil
}

// countLogs returns the number of a user's entries.
func (h handles) countLogs(ctx context.Context, userID string) (int, error) {
	return queryRow(ctx, h, "count logs", func(row scanner) (int, error) {
		var n int
		err := row.Scan(&n)
		return n, err
	}, `SELECT COUNT(*) FROM logs WHERE user_id = $1`, userID)
}

// DeleteLogsBefore removes the entries whose time is before t, at
// millisecond precision, and says how many went.
func (h handles) DeleteLogsBefore(ctx context.Context, t time.Time) (int64, error) {
	return h.exec(ctx, "delete logs", `DELETE FROM logs WHERE time < $1`, millis(t))
}

// scanLog reads one row of logColumns followed by the count of the window.
func scanLog(row scanner) (loggedEntry, error) {
	var (
		e     core.LogEntry
		ms    int64
		total int
	)
	d := &e.Device
	err := row.Scan(&e.ID, &e.UserID, &e.Event, &e.UserEmail, &e.UserName, &e.Mode, &e.IP, &ms,
		&e.UserAgent, &e.CountryCode,
		&d.OSCode, &d.OSName, &d.OSVersion, &d.ClientType, &d.ClientCode, &d.ClientName,
		&d.ClientVersion, &d.ClientEngine, &d.ClientEngineVersion,
		&d.DeviceName, &d.DeviceBrand, &d.DeviceModel, &total)
	if err != nil {
		return loggedEntry{}, err
	}
	e.Time = fromMillis(ms)
	return loggedEntry{e: &e, total: total}, nil
}

package sqlite

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/accountgate/accountgate/account/outbox"
)

// outboxColumns is the column list of every outbox query, in scanMessage
// order.
const outboxColumns = `id, channel, payload, attempts, created_at, next_attempt,
	claimed_until, last_error`

// EnqueueMessage inserts m with every field as given; a taken id gives
// core.ErrConflict.
func (h handles) EnqueueMessage(ctx context.Context, m *outbox.Message) error {
	payload := m.Payload
	if payload == nil {
		// nil would bind as NULL, which the NOT NULL column refuses.
		payload = []byte{}
	}
	_, err := h.w.ExecContext(ctx, `INSERT INTO outbox (`+outboxColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.Channel, payload, m.Attempts, millis(m.CreatedAt), millis(m.NextAttempt),
		millis(m.ClaimedUntil), m.LastError)
	if err != nil {
		return wrap("enqueue message", err)
	}
	return nil
}

// ClaimMessages marks up to limit messages due at now and not claimed
// (claimed_until <= now) as claimed until now+lease and returns them in
// insertion order. The choice and the marking are one statement, which
// SQLite runs under its single write lock, so concurrent callers never get
// the same message while its claim holds.
func (h handles) ClaimMessages(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*outbox.Message, error) {
	if limit <= 0 {
		// SQLite reads a negative LIMIT as no limit at all.
		return nil, nil
	}
	ms := millis(now)
	rows, err := h.w.QueryContext(ctx, `UPDATE outbox SET claimed_until = ?
		WHERE id IN (SELECT id FROM outbox WHERE next_attempt <= ? AND claimed_until <= ?
			ORDER BY seq LIMIT ?)
		RETURNING seq, `+outboxColumns,
		millis(now.Add(lease)), ms, ms, limit)
	if err != nil {
		return nil, wrap("claim messages", err)
	}
	defer rows.Close()
	type claimed struct {
		seq int64
		m   *outbox.Message
	}
	var list []claimed
	for rows.Next() {
		var c claimed
		if c.m, err = scanMessage(rows, &c.seq); err != nil {
			return nil, wrap("claim messages", err)
		}
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("claim messages", err)
	}
	// RETURNING gives the rows in no specified order.
	slices.SortFunc(list, func(a, b claimed) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]*outbox.Message, len(list))
	for i, c := range list {
		out[i] = c.m
	}
	return out, nil
}

// DeleteMessage removes a message; core.ErrNotFound if there was none.
func (h handles) DeleteMessage(ctx context.Context, id string) error {
	res, err := h.w.ExecContext(ctx, `DELETE FROM outbox WHERE id = ?`, id)
	if err != nil {
		return wrap("delete message", err)
	}
	return rowsAffected("delete message", res)
}

// RetryMessage stores attempts, next and lastError on message id and
// releases its claim; core.ErrNotFound if the message is gone.
func (h handles) RetryMessage(ctx context.Context, id string, attempts int, next time.Time, lastError string) error {
	res, err := h.w.ExecContext(ctx, `UPDATE outbox
		SET attempts = ?, next_attempt = ?, last_error = ?, claimed_until = 0
		WHERE id = ?`, attempts, millis(next), lastError, id)
	if err != nil {
		return wrap("retry message", err)
	}
	return rowsAffected("retry message", res)
}

// scanMessage reads seq followed by one row of outboxColumns.
func scanMessage(row scanner, seq *int64) (*outbox.Message, error) {
	var (
		m                    outbox.Message
		created, next, claim int64
	)
	err := row.Scan(seq, &m.ID, &m.Channel, &m.Payload, &m.Attempts, &created, &next,
		&claim, &m.LastError)
	if err != nil {
		return nil, err
	}
	m.CreatedAt = fromMillis(created)
	m.NextAttempt = fromMillis(next)
	m.ClaimedUntil = fromMillis(claim)
	return &m, nil
}

package postgres

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
	_, err := h.exec(ctx, "enqueue message", `INSERT INTO outbox (`+outboxColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		m.ID, m.Channel, notNil(m.Payload), m.Attempts, millis(m.CreatedAt),
		millis(m.NextAttempt), millis(m.ClaimedUntil), m.LastError)
	return err
}

// claimed is a claimed message and its place in the queue.
type claimed struct {
	seq int64
	m   *outbox.Message
}

// ClaimMessages marks up to limit messages due at now and not claimed
// (claimed_until <= now) as claimed until now+lease and returns them in
// insertion order. The rows are chosen FOR UPDATE SKIP LOCKED and marked
// in the same statement: a concurrent claimer, on this instance or
// another, skips the rows another holds, and one that waited for a row
// finds its claim on re-checking it, so none gets a message twice while
// its claim holds.
func (h handles) ClaimMessages(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*outbox.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	ms := millis(now)
	list, err := queryRows(ctx, h, "claim messages", scanMessage, `UPDATE outbox SET claimed_until = $1
		WHERE id IN (SELECT id FROM outbox WHERE next_attempt <= $2 AND claimed_until <= $2
			ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING seq, `+outboxColumns,
		millis(now.Add(lease)), ms, limit)
	if err != nil {
		return nil, err
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
	return h.execOne(ctx, "delete message", `DELETE FROM outbox WHERE id = $1`, id)
}

// RetryMessage stores attempts, next and lastError on message id and
// releases its claim; core.ErrNotFound if the message is gone.
func (h handles) RetryMessage(ctx context.Context, id string, attempts int, next time.Time, lastError string) error {
	return h.execOne(ctx, "retry message", `UPDATE outbox
		SET attempts = $1, next_attempt = $2, last_error = $3, claimed_until = 0
		WHERE id = $4`, attempts, millis(next), lastError, id)
}

// scanMessage reads seq followed by one row of outboxColumns.
func scanMessage(row scanner) (claimed, error) {
	var (
		c                    claimed
		m                    outbox.Message
		created, next, claim int64
	)
	err := row.Scan(&c.seq, &m.ID, &m.Channel, &m.Payload, &m.Attempts, &created, &next,
		&claim, &m.LastError)
	if err != nil {
		return claimed{}, err
	}
	m.CreatedAt = fromMillis(created)
	m.NextAttempt = fromMillis(next)
	m.ClaimedUntil = fromMillis(claim)
	c.m = &m
	return c, nil
}

// Package outbox delivers mail and text messages through a sealed queue
// kept in the store: a message is enqueued in the transaction that
// creates the token it carries, and a worker on any instance sharing the
// store claims, sends and deletes it, retrying with backoff.
package outbox

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/accountgate/accountgate/account/mail"
	"github.com/accountgate/accountgate/account/seal"
	"github.com/accountgate/accountgate/account/sms"
)

// Channels a message goes out on.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Message is a mail or SMS waiting for delivery. Payload is sealed: it
// holds the secret link or code.
type Message struct {
	ID      string
	Channel string // "email" or "sms"
	Payload []byte
	// Attempts counts failed deliveries so far.
	Attempts    int
	CreatedAt   time.Time
	NextAttempt time.Time
	// ClaimedUntil is when a worker's claim on the message lapses; a
	// claimed message is not handed to another worker before then.
	ClaimedUntil time.Time
	LastError    string
}

// Store persists messages awaiting delivery, so none is lost to a crash
// or a mail server that is down, and several instances can share the
// work.
type Store interface {
	// EnqueueMessage inserts m.
	EnqueueMessage(ctx context.Context, m *Message) error
	// ClaimMessages hands out up to limit messages due at now (NextAttempt
	// <= now) and not claimed (ClaimedUntil <= now), oldest first, and
	// marks them claimed until now+lease. Concurrent callers, also on
	// other instances, never get the same message while its claim holds.
	ClaimMessages(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*Message, error)
	// DeleteMessage removes a delivered message; the store's not-found
	// error if gone.
	DeleteMessage(ctx context.Context, id string) error
	// RetryMessage records a failed attempt: it stores attempts, next and
	// lastError and releases the claim. The store's not-found error if
	// gone.
	RetryMessage(ctx context.Context, id string, attempts int, next time.Time, lastError string) error
}

// Payload is a message as sealed into the outbox.
type Payload struct {
	Mail *mail.Message `json:"mail,omitempty"`
	SMS  *SMS          `json:"sms,omitempty"`
	// Expires is when the message's token expires: after that the
	// message is useless and is dropped instead of sent.
	Expires time.Time `json:"expires"`
}

// SMS is a text message.
type SMS struct {
	To   string `json:"to"`
	Body string `json:"body"`
}

// Config is what an Outbox needs; every field is required unless said.
type Config struct {
	// Store is where the worker claims messages.
	Store Store
	// Seal seals payloads.
	Seal *seal.Sealer
	// Mailer and SMS send; nil makes every delivery on their channel fail
	// (and be retried).
	Mailer mail.Sender
	SMS    sms.Sender
	// NotFound is the store's error for a message already gone.
	NotFound error
	// Now is the clock; NewID names a message created at a time.
	Now   func() time.Time
	NewID func(time.Time) string
	// Observe is told of each delivery attempt: sent, dropped or failed.
	Observe func(ctx context.Context, channel, result string)
	Log     *slog.Logger
}

// Outbox enqueues messages and delivers them.
type Outbox struct {
	cfg  Config
	wake chan struct{}
}

// New returns an outbox; Run delivers its messages.
func New(cfg Config) *Outbox {
	return &Outbox{cfg: cfg, wake: make(chan struct{}, 1)}
}

// clock is the time at millisecond precision in UTC, the precision of
// every stored datetime.
func (o *Outbox) clock() time.Time { return o.cfg.Now().UTC().Truncate(time.Millisecond) }

// Enqueue seals a message into the outbox through tx, so that it commits
// or rolls back with the token it carries. Call Wake after the commit.
func (o *Outbox) Enqueue(ctx context.Context, tx Store, channel string, p Payload) error {
	plain, err := json.Marshal(p)
	if err != nil {
		return err
	}
	now := o.clock()
	return tx.EnqueueMessage(ctx, &Message{
		ID: o.cfg.NewID(now), Channel: channel, Payload: o.cfg.Seal.Seal(plain), CreatedAt: now, NextAttempt: now,
	})
}

// Wake nudges the worker after a commit, so a mail goes out at once
// instead of at the next poll.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

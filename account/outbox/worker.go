package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Delivery tuning: how often the worker looks for due messages when
// nothing wakes it, how many it claims at once, how long one send may
// take, how long a claim lasts, and the retry backoff.
const (
	deliveryPoll    = 2 * time.Second
	deliveryBatch   = 10
	deliveryTimeout = 30 * time.Second
	// deliveryLease outlasts the slowest batch (every send taking its
	// whole timeout) with a minute to spare for the store: while a claim
	// holds, no other instance sends the message, so a slow SMTP server
	// never causes a second delivery.
	deliveryLease = deliveryBatch*deliveryTimeout + time.Minute
	retryBase     = 5 * time.Second
	retryMax      = 30 * time.Minute
)

// Run sends due messages until ctx ends. Several instances
// may run it on one store: claims keep them from sending a message twice.
func (o *Outbox) Run(ctx context.Context) {
	t := time.NewTicker(deliveryPoll)
	defer t.Stop()
	for {
		o.deliverDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-o.wake:
		}
	}
}

func (o *Outbox) deliverDue(ctx context.Context) {
	for ctx.Err() == nil {
		claimed := o.clock()
		msgs, err := o.cfg.Store.ClaimMessages(ctx, claimed, deliveryLease, deliveryBatch)
		if err != nil {
			if ctx.Err() == nil {
				o.cfg.Log.Warn("outbox: claiming messages", "error", err)
			}
			return
		}
		// A send starts only while the claim outlasts it: should the
		// sends before it have taken longer than their timeouts allow,
		// the rest is left for the next claim rather than risk another
		// instance sending it too.
		last := claimed.Add(deliveryLease - deliveryTimeout)
		for i, m := range msgs {
			if o.clock().After(last) {
				return // the claims lapse soon; another worker may take them
			}
			if ctx.Err() != nil {
				o.release(ctx, msgs[i:]) // still ours: the claims hold
				return
			}
			o.deliverOne(ctx, m)
		}
		if len(msgs) < deliveryBatch {
			return
		}
	}
}

// release hands claimed messages that were not sent back at once, with
// their attempts and schedule unchanged, so that the next worker (after a
// reload, the new configuration's) need not wait for the claim to lapse.
func (o *Outbox) release(ctx context.Context, msgs []*Message) {
	ctx, cancel := afterSend(ctx)
	defer cancel()
	for _, m := range msgs {
		if err := o.cfg.Store.RetryMessage(ctx, m.ID, m.Attempts, m.NextAttempt, m.LastError); err != nil && !errors.Is(err, o.cfg.NotFound) {
			o.cfg.Log.Warn("outbox: releasing an unsent message", "id", m.ID, "error", err)
		}
	}
}

// afterSend is the context of the store writes that follow a send: they
// run even when ctx was cancelled meanwhile (a reload), since a message
// sent but not deleted would be sent again once its claim lapsed.
func afterSend(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

// deliverOne sends one claimed message, then deletes it, or schedules a
// retry with exponential backoff. Logs never carry the body.
func (o *Outbox) deliverOne(ctx context.Context, m *Message) {
	err := o.send(ctx, m)
	ctx, cancel := afterSend(ctx)
	defer cancel()
	var drop *dropError
	switch {
	case err == nil:
		o.cfg.Observe(ctx, m.Channel, "sent")
		err = o.cfg.Store.DeleteMessage(ctx, m.ID)
		if err != nil && !errors.Is(err, o.cfg.NotFound) {
			o.cfg.Log.Error("outbox: deleting a delivered message", "id", m.ID, "error", err)
		}
		return
	case errors.As(err, &drop):
		o.cfg.Observe(ctx, m.Channel, "dropped")
		o.cfg.Log.Error("outbox: dropping message", "id", m.ID, "channel", m.Channel, "reason", drop.reason)
		if err := o.cfg.Store.DeleteMessage(ctx, m.ID); err != nil && !errors.Is(err, o.cfg.NotFound) {
			o.cfg.Log.Error("outbox: deleting a dropped message", "id", m.ID, "error", err)
		}
		return
	}
	o.cfg.Observe(ctx, m.Channel, "failed")
	attempts := m.Attempts + 1
	next := o.clock().Add(backoff(attempts))
	o.cfg.Log.Warn("outbox: delivery failed, will retry", "id", m.ID, "channel", m.Channel, "attempt", attempts, "retry_at", next, "error", err)
	if err := o.cfg.Store.RetryMessage(ctx, m.ID, attempts, next, truncate(err.Error(), 500)); err != nil && !errors.Is(err, o.cfg.NotFound) {
		o.cfg.Log.Error("outbox: scheduling a retry", "id", m.ID, "error", err)
	}
}

// dropError marks a message that can never be delivered.
type dropError struct{ reason string }

func (e *dropError) Error() string { return e.reason }

func (o *Outbox) send(ctx context.Context, m *Message) error {
	plain, err := o.cfg.Seal.Open(m.Payload)
	if err != nil {
		return &dropError{reason: err.Error()}
	}
	var p Payload
	if err := json.Unmarshal(plain, &p); err != nil {
		return &dropError{reason: "malformed payload"}
	}
	if !p.Expires.IsZero() && !o.cfg.Now().Before(p.Expires) {
		return &dropError{reason: "its token expired before it could be delivered"}
	}
	ctx, cancel := context.WithTimeout(ctx, deliveryTimeout)
	defer cancel()
	switch {
	case m.Channel == ChannelEmail && p.Mail != nil:
		if o.cfg.Mailer == nil {
			return errors.New("no mailer configured")
		}
		return o.cfg.Mailer.Send(ctx, *p.Mail)
	case m.Channel == ChannelSMS && p.SMS != nil:
		if o.cfg.SMS == nil {
			return errors.New("no SMS sender configured")
		}
		return o.cfg.SMS.Send(ctx, p.SMS.To, p.SMS.Body)
	}
	return &dropError{reason: fmt.Sprintf("unknown channel %q", m.Channel)}
}

// backoff is 5s, 10s, 20s … capped at 30 minutes, with ±20% jitter so
// that instances do not retry in step.
func backoff(attempts int) time.Duration {
	d := retryMax
	if attempts < 20 {
		d = min(retryBase<<(attempts-1), retryMax)
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// truncate cuts s to at most n bytes, on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/mail"
	"github.com/accountgate/accountgate/account/seal"
)

// memOutbox is the outbox of a store shared by two instances, in memory
// (the domain cannot import a store backend).
type memOutbox struct {
	mu   sync.Mutex
	msgs map[string]*Message
}

var errNotFound = errors.New("not found")

func (o *memOutbox) EnqueueMessage(_ context.Context, m *Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := *m
	o.msgs[m.ID] = &c
	return nil
}

func (o *memOutbox) ClaimMessages(_ context.Context, now time.Time, lease time.Duration, limit int) ([]*Message, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var due []*Message
	for _, m := range o.msgs {
		if !m.NextAttempt.After(now) && !m.ClaimedUntil.After(now) {
			due = append(due, m)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].ID < due[j].ID })
	var out []*Message
	for _, m := range due[:min(limit, len(due))] {
		m.ClaimedUntil = now.Add(lease)
		c := *m
		out = append(out, &c)
	}
	return out, nil
}

func (o *memOutbox) DeleteMessage(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil { // as a real store does
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.msgs[id] == nil {
		return errNotFound
	}
	delete(o.msgs, id)
	return nil
}

func (o *memOutbox) RetryMessage(ctx context.Context, id string, attempts int, next time.Time, lastError string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	m := o.msgs[id]
	if m == nil {
		return errNotFound
	}
	m.Attempts, m.NextAttempt, m.LastError, m.ClaimedUntil = attempts, next, lastError, time.Time{}
	return nil
}

// slowMailer records what it sends and makes each send take `took` on
// the shared clock; after is called after each send.
type slowMailer struct {
	clock *testClock
	took  time.Duration
	sent  *[]string
	mu    *sync.Mutex
	after func(n int)
}

func (m *slowMailer) Send(_ context.Context, msg mail.Message) error {
	m.clock.advance(m.took)
	m.mu.Lock()
	*m.sent = append(*m.sent, msg.To)
	n := len(*m.sent)
	m.mu.Unlock()
	if m.after != nil {
		m.after(n)
	}
	return nil
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// outboxInstances are two instances over one outbox: a's mailer calls
// afterA after each of its sends.
func outboxInstances(t *testing.T, took time.Duration, afterA func(b *Outbox, n int)) (a, b *Outbox, st *memOutbox, sent *[]string) {
	t.Helper()
	st = &memOutbox{msgs: map[string]*Message{}}
	clock := &testClock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	sent = new([]string)
	var mu sync.Mutex
	ids := 0
	mk := func(m mail.Sender) *Outbox {
		return New(Config{Store: st, Seal: seal.New("outbox v1", []byte("0123456789abcdef0123456789abcdef")), Mailer: m,
			NotFound: errNotFound, Now: clock.now, NewID: func(time.Time) string { ids++; return fmt.Sprintf("%04d", ids) },
			Observe: func(context.Context, string, string) {}, Log: slog.New(slog.DiscardHandler)})
	}
	b = mk(&slowMailer{clock: clock, took: took, sent: sent, mu: &mu})
	a = mk(&slowMailer{clock: clock, took: took, sent: sent, mu: &mu, after: func(n int) { afterA(b, n) }})
	for i := range deliveryBatch {
		to := "user" + strconv.Itoa(i) + "@example.com"
		if err := a.Enqueue(context.Background(), st, ChannelEmail, Payload{Mail: &mail.Message{To: to}, Expires: clock.now().Add(24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	return a, b, st, sent
}

// TestOutboxSlowSenderNoSecondDelivery: instance a claims a batch from an
// SMTP server so slow that the batch takes longer than the old
// two-minute claim; instance b polls after each of a's sends, before a
// has deleted the message just sent. No message may go out twice, and
// every one goes out.
func TestOutboxSlowSenderNoSecondDelivery(t *testing.T) {
	for _, took := range []time.Duration{
		deliveryTimeout / 2,
		deliveryTimeout, // the worst case: every send takes its whole timeout
	} {
		t.Run(took.String(), func(t *testing.T) {
			ctx := context.Background()
			a, _, st, sent := outboxInstances(t, took, func(b *Outbox, _ int) { b.deliverDue(ctx) })
			a.deliverDue(ctx)
			// Whatever a left unsent, a later poll delivers.
			for range 3 {
				a.deliverDue(ctx)
			}
			seen := map[string]int{}
			for _, to := range *sent {
				seen[to]++
				if seen[to] > 1 {
					t.Fatalf("%s delivered twice: %v", to, *sent)
				}
			}
			if len(seen) != deliveryBatch || len(st.msgs) != 0 {
				t.Fatalf("%d of %d delivered, %d left: %v", len(seen), deliveryBatch, len(st.msgs), *sent)
			}
		})
	}
}

// TestOutboxStopReleasesClaims: a worker stopped in the middle of a batch
// still deletes the message it just sent (else it would go out again once
// its claim lapsed) and hands the unsent ones back, so the next worker
// (after a reload, the new configuration's) sends them at once instead of
// after the claim lapses.
func TestOutboxStopReleasesClaims(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	a, b, st, sent := outboxInstances(t, time.Second, func(_ *Outbox, n int) {
		if n == 3 {
			cancel()
		}
	})
	a.deliverDue(ctx)
	if len(*sent) != 3 {
		t.Fatalf("%d sent before the stop took effect, want 3", len(*sent))
	}
	b.deliverDue(context.Background())
	if len(*sent) != deliveryBatch || len(st.msgs) != 0 {
		t.Fatalf("after the stop: %d sent, %d left in the outbox", len(*sent), len(st.msgs))
	}
}

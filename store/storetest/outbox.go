package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/outbox"
)

// lease is the claim duration the outbox tests use.
const lease = 30 * time.Second

// fullMessage returns a message with every field set but ClaimedUntil, due
// at base.
func fullMessage(id string) *outbox.Message {
	return &outbox.Message{
		ID:      id,
		Channel: "email",
		// Binary, with zero bytes: the payload is encrypted.
		Payload:     []byte{0, 0xff, 0, 0x80, 'x', 0, byte(len(id))},
		Attempts:    2,
		CreatedAt:   at(-time.Hour + 5*time.Millisecond),
		NextAttempt: at(0),
		LastError:   "smtp: 451 4.7.1 greylisted, zoë",
	}
}

// dueMessage returns a message with only the required fields, due at base.
func dueMessage(id string) *outbox.Message {
	return &outbox.Message{ID: id, Channel: "sms", Payload: []byte(id), NextAttempt: at(0)}
}

// mustEnqueue enqueues m or fails the test.
func mustEnqueue(t *testing.T, s core.Store, m *outbox.Message) {
	t.Helper()
	errOf(t, "EnqueueMessage "+m.ID, s.EnqueueMessage(context.Background(), m), nil)
}

// claim calls ClaimMessages and checks the ids it returns, in order.
func claim(t *testing.T, s core.Store, now time.Time, limit int, want ...string) []*outbox.Message {
	t.Helper()
	what := fmt.Sprintf("ClaimMessages(%v, limit %d)", now.Sub(base), limit)
	list, err := s.ClaimMessages(context.Background(), now, lease, limit)
	errOf(t, what, err, nil)
	if got := messageIDs(list); !slices.Equal(got, want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
	return list
}

// messageIDs lists the ids of ms in order; never nil.
func messageIDs(ms []*outbox.Message) []string {
	ids := []string{}
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

// checkMessage compares every field of got with want.
func checkMessage(t *testing.T, what string, got, want *outbox.Message) {
	t.Helper()
	var d diff
	d.eq("ID", got.ID, want.ID)
	d.eq("Channel", got.Channel, want.Channel)
	d.bytes("Payload", got.Payload, want.Payload)
	d.eq("Attempts", got.Attempts, want.Attempts)
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.time("NextAttempt", got.NextAttempt, want.NextAttempt)
	d.time("ClaimedUntil", got.ClaimedUntil, want.ClaimedUntil)
	d.eq("LastError", got.LastError, want.LastError)
	d.report(t, what)
}

// RunOutbox checks outbox.Store: claims and their leases, retries,
// deletion, order and limits, and claimers running at once.
func RunOutbox(t *testing.T, open Opener) {
	ctx := context.Background()
	now := at(0)

	t.Run("Lifecycle", func(t *testing.T) {
		s := open(t)
		m := fullMessage("m1")
		mustEnqueue(t, s, m)
		claim(t, s, now.Add(-time.Millisecond), 10)
		got := claim(t, s, now, 10, "m1")
		want := *m
		want.ClaimedUntil = now.Add(lease)
		checkMessage(t, "claimed", got[0], &want)
		// The claim holds until the lease is over.
		claim(t, s, now, 10)
		claim(t, s, now.Add(lease-time.Millisecond), 10)
		later := now.Add(lease)
		got = claim(t, s, later, 10, "m1")
		want.ClaimedUntil = later.Add(lease)
		checkMessage(t, "claimed after the lease", got[0], &want)

		// A retry releases the claim and postpones the message, here to
		// before the claim would have lapsed.
		next := later.Add(time.Second)
		errOf(t, "RetryMessage", s.RetryMessage(ctx, "m1", 3, next, "dial tcp: timeout"), nil)
		claim(t, s, later, 10)
		claim(t, s, next.Add(-time.Millisecond), 10)
		got = claim(t, s, next, 10, "m1")
		want.Attempts, want.NextAttempt, want.LastError = 3, next, "dial tcp: timeout"
		want.ClaimedUntil = next.Add(lease)
		checkMessage(t, "claimed after the retry", got[0], &want)

		errOf(t, "DeleteMessage", s.DeleteMessage(ctx, "m1"), nil)
		errOf(t, "DeleteMessage again", s.DeleteMessage(ctx, "m1"), core.ErrNotFound)
		errOf(t, "RetryMessage deleted", s.RetryMessage(ctx, "m1", 4, next, "x"), core.ErrNotFound)
		claim(t, s, next.Add(24*time.Hour), 10)
	})

	t.Run("RetryWhileUnclaimed", func(t *testing.T) {
		s := open(t)
		mustEnqueue(t, s, dueMessage("m1"))
		// A retry due at once makes the message claimable at once.
		errOf(t, "RetryMessage", s.RetryMessage(ctx, "m1", 1, now, ""), nil)
		got := claim(t, s, now, 10, "m1")
		want := dueMessage("m1")
		want.Attempts, want.ClaimedUntil = 1, now.Add(lease)
		checkMessage(t, "claimed", got[0], want)
		errOf(t, "RetryMessage missing", s.RetryMessage(ctx, "nope", 1, now, ""), core.ErrNotFound)
		errOf(t, "DeleteMessage missing", s.DeleteMessage(ctx, "nope"), core.ErrNotFound)
	})

	t.Run("DuplicateID", func(t *testing.T) {
		s := open(t)
		mustEnqueue(t, s, fullMessage("m1"))
		errOf(t, "EnqueueMessage", s.EnqueueMessage(ctx, dueMessage("m1")), core.ErrConflict)
		got := claim(t, s, now, 10, "m1")
		want := fullMessage("m1")
		want.ClaimedUntil = now.Add(lease)
		checkMessage(t, "after conflict", got[0], want)
	})

	t.Run("OrderAndLimit", func(t *testing.T) {
		s := open(t)
		// Ids sort against insertion order and all times are equal, so only
		// insertion order gives the expected lists.
		for _, id := range []string{"m-e", "m-d", "m-c", "m-b", "m-a"} {
			mustEnqueue(t, s, dueMessage(id))
		}
		// Not due yet, and claimed elsewhere: both skipped.
		future := dueMessage("m-future")
		future.NextAttempt = now.Add(time.Hour)
		mustEnqueue(t, s, future)
		held := dueMessage("m-held")
		held.ClaimedUntil = now.Add(time.Second)
		mustEnqueue(t, s, held)
		mustEnqueue(t, s, dueMessage("m-last"))

		claim(t, s, now, 0)
		claim(t, s, now, 2, "m-e", "m-d")
		claim(t, s, now, 2, "m-c", "m-b")
		claim(t, s, now, 10, "m-a", "m-last")
		claim(t, s, now, 10)
		claim(t, s, now.Add(time.Second), 10, "m-held")
		claim(t, s, now.Add(time.Hour), 1, "m-e")
	})

	t.Run("ConcurrentClaimers", func(t *testing.T) {
		s := open(t)
		const messages, workers, limit = 50, 8, 3
		for i := range messages {
			mustEnqueue(t, s, dueMessage(fmt.Sprintf("m%02d", i)))
		}
		got := make([][]string, workers)
		errs := make([]error, workers)
		atOnce(workers, func(w int) {
			// A bound, so that a backend that hands messages out twice
			// fails instead of looping.
			for range messages + 1 {
				list, err := s.ClaimMessages(ctx, now, lease, limit)
				if err != nil {
					errs[w] = err
					return
				}
				if len(list) > limit {
					errs[w] = fmt.Errorf("claimed %d messages, limit %d", len(list), limit)
					return
				}
				if len(list) == 0 {
					return
				}
				got[w] = append(got[w], messageIDs(list)...)
			}
		})
		seen := map[string]int{}
		for w := range workers {
			errOf(t, fmt.Sprintf("worker %d", w), errs[w], nil)
			for _, id := range got[w] {
				if prev, ok := seen[id]; ok {
					t.Errorf("%s claimed by workers %d and %d", id, prev, w)
				}
				seen[id] = w
			}
		}
		if len(seen) != messages {
			t.Errorf("workers claimed %d distinct messages, want %d", len(seen), messages)
		}
	})

	t.Run("InTx", func(t *testing.T) {
		s := open(t)
		mustEnqueue(t, s, dueMessage("kept"))
		err := s.WithTx(ctx, func(tx core.Store) error {
			mustEnqueue(t, tx, dueMessage("created"))
			claim(t, tx, now, 10, "kept", "created")
			return errAbort
		})
		errOf(t, "WithTx", err, errAbort)
		// The claim and the enqueue are undone.
		claim(t, s, now, 10, "kept")
	})
}

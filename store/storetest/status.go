package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/outbox"
)

// RunStatus checks the store's own report: Ping answers and OutboxDepth
// follows enqueued and deleted messages, claimed ones included.
func RunStatus(t *testing.T, open Opener) {
	ctx := context.Background()
	st := open(t)
	status, ok := st.(core.StoreStatus)
	if !ok {
		t.Fatalf("%T does not implement core.StoreStatus", st)
	}
	errOf(t, "Ping", status.Ping(ctx), nil)
	depth := func(want int) {
		t.Helper()
		n, err := status.OutboxDepth(ctx)
		errOf(t, "OutboxDepth", err, nil)
		if n != want {
			t.Fatalf("OutboxDepth = %d, want %d", n, want)
		}
	}
	depth(0)
	for _, id := range []string{"m1", "m2", "m3"} {
		errOf(t, "EnqueueMessage "+id, st.EnqueueMessage(ctx, &outbox.Message{ID: id, Channel: "email",
			Payload: []byte("x"), CreatedAt: base, NextAttempt: base}), nil)
	}
	depth(3)
	claimed, err := st.ClaimMessages(ctx, at(time.Second), time.Minute, 1)
	errOf(t, "ClaimMessages", err, nil)
	if len(claimed) != 1 {
		t.Fatalf("claimed %d messages, want 1", len(claimed))
	}
	depth(3)
	errOf(t, "DeleteMessage", st.DeleteMessage(ctx, claimed[0].ID), nil)
	depth(2)
}

package account

import (
	"context"
	"fmt"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// OnRevocation registers deliver, called for every revocation this
// instance applies (its own and those of other instances), and resync,
// called when the revocation channel is (re)established and messages may
// have been lost. Either may be nil. They run on the revocation path and
// must be quick.
func (s *Service) OnRevocation(deliver func(core.Revocation), resync func()) {
	s.verifier.OnRevocation(deliver, resync)
}

// Broadcast applies r here and sends it to every other instance, as a
// sign-out does. It is for changes made outside the API, such as an
// assertion key rotation by the admin command.
func (s *Service) Broadcast(ctx context.Context, r core.Revocation) { s.accounts.Revoke(ctx, r) }

// ReceiveRevocations subscribes to the revocation channel until ctx
// ends, without the rest of Run's work (mail delivery, purges). A
// short-lived tool runs it so that its own revocations go out: they are
// published only while the channel is healthy (BroadcastReady).
func (s *Service) ReceiveRevocations(ctx context.Context) {
	if rv := s.cfg.Revocations; rv != nil {
		rv.SubscribeRevocations(ctx, s.accounts.ApplyRevocation, s.accounts.Resync)
	}
}

// BroadcastReady reports whether a change made now reaches the other
// instances at once: always without a revocation channel (one instance,
// where a running server notices within its CacheTTL), else while the
// channel is healthy.
func (s *Service) BroadcastReady() bool { return s.verifier.Trusted() }

// WaitBroadcastReady waits until BroadcastReady, for at most d.
func (s *Service) WaitBroadcastReady(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for !s.BroadcastReady() {
		if time.Now().After(deadline) {
			return fmt.Errorf("the revocation channel is not reachable after %s", d)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

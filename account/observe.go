package account

import (
	"context"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// observeDelivery reports one outbox attempt.
func (s *Service) observeDelivery(ctx context.Context, channel, result string) {
	s.cfg.Observer.Observe(ctx, core.Event{Kind: core.EventDelivery, Channel: channel, Result: result})
}

// observeCache reports a verification cache lookup.
func (s *Service) observeCache(ctx context.Context, result string) {
	s.cfg.Observer.Observe(ctx, core.Event{Kind: core.EventCacheLookup, Result: result})
}

// observeHashWait reports how long a password hash waited for a slot.
func (s *Service) observeHashWait(wait time.Duration, busy bool) {
	e := core.Event{Kind: core.EventPasswordWait, Duration: wait}
	if busy {
		e.Result = "busy"
	}
	s.cfg.Observer.Observe(context.Background(), e)
}

package account

import (
	"context"
	"sync"
)

// revocationListeners are the feature packages that keep caches of their
// own derived from sessions or keys, and must forget them with the
// verification cache.
type revocationListeners struct {
	mu   sync.RWMutex
	list []revocationListener
}

type revocationListener struct {
	deliver func(Revocation)
	resync  func()
}

// OnRevocation registers deliver, called for every revocation this
// instance applies (its own and those of other instances), and resync,
// called when the revocation channel is (re)established and messages may
// have been lost. Either may be nil. They run on the revocation path and
// must be quick.
func (s *Service) OnRevocation(deliver func(Revocation), resync func()) {
	s.listeners.mu.Lock()
	defer s.listeners.mu.Unlock()
	s.listeners.list = append(s.listeners.list, revocationListener{deliver, resync})
}

// Broadcast applies r here and sends it to every other instance, as a
// sign-out does. It is for changes made outside the API, such as an
// assertion key rotation by the admin command.
func (s *Service) Broadcast(ctx context.Context, r Revocation) { s.revoke(ctx, r) }

func (l *revocationListeners) deliver(r Revocation) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	for _, f := range l.list {
		if f.deliver != nil {
			f.deliver(r)
		}
	}
}

func (l *revocationListeners) resync() {
	l.mu.RLock()
	defer l.mu.RUnlock()
	for _, f := range l.list {
		if f.resync != nil {
			f.resync()
		}
	}
}

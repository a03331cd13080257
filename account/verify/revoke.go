package verify

import (
	"context"
	"sync"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// The revocation path: a sign-out, a block or a user change must stop
// every cached credential at once, here (Drop), in the shared cache and on
// the other instances (Publish); an instance that may have missed
// revocations forgets what it cached (Resync).

// Drop forgets the cached credentials r names: one session (with every
// JWT issued for it) or every session of a user; the listeners hear r
// first.
func (v *Verifier) Drop(r core.Revocation) {
	v.listeners.deliver(r)
	if r.SessionID != "" {
		v.cache.dropSession(r.UserID, r.SessionID)
		return
	}
	if r.UserID != "" {
		v.cache.dropUser(r.UserID)
	}
}

// Publish drops what r names from the shared cache and sends r to the
// other instances. Failures are logged: the store change already
// happened, and other instances stop trusting their caches while the
// channel is down.
func (v *Verifier) Publish(ctx context.Context, r core.Revocation) {
	// With the channel down, Redis calls would only wait for timeouts;
	// other instances do not trust their caches meanwhile, and ignore the
	// shared one for a TTL once it is back (Resync).
	if !v.Trusted() {
		return
	}
	// The request may be cancelled right after the response: the
	// revocation must still go out.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if sc := v.cfg.SharedCache; sc != nil {
		var err error
		if r.SessionID != "" {
			err = sc.DropSession(ctx, r.SessionID)
		} else if r.UserID != "" {
			err = sc.DropUser(ctx, r.UserID)
		}
		if err != nil {
			v.cfg.Log.Warn("dropping revoked credentials from the shared cache", "error", err)
		}
	}
	if rv := v.cfg.Revocations; rv != nil {
		r.SentAt = v.cfg.Now().UnixMilli()
		if err := rv.PublishRevocation(ctx, r); err != nil {
			v.cfg.Log.Warn("publishing a revocation", "error", err)
		}
	}
}

// Trusted reports whether this instance may use its own cache: with
// several instances, only while revocations are arriving.
func (v *Verifier) Trusted() bool {
	return v.cfg.Revocations == nil || v.cfg.Revocations.Healthy()
}

// Resync runs when the revocation channel is (re)established: messages
// sent while it was down are lost, so it forgets everything cached here
// (the listeners too) and ignores the shared cache until every entry written before the
// outage has expired (entries live at most CacheTTL).
func (v *Verifier) Resync() {
	v.cache.clear()
	v.listeners.resync()
	v.sharedAfter.Store(v.cfg.Now().Add(v.cfg.CacheTTL).UnixNano())
}

// OnRevocation registers deliver, called for every revocation Drop
// applies (this instance's and other instances'), and resync, called by
// Resync. Either may be nil. They run on the revocation path and must be
// quick.
func (v *Verifier) OnRevocation(deliver func(core.Revocation), resync func()) {
	v.listeners.mu.Lock()
	defer v.listeners.mu.Unlock()
	v.listeners.list = append(v.listeners.list, revocationListener{deliver, resync})
}

// revocationListeners are the feature packages that keep caches of their
// own derived from sessions or keys, and must forget them with the
// verification cache.
type revocationListeners struct {
	mu   sync.RWMutex
	list []revocationListener
}

type revocationListener struct {
	deliver func(core.Revocation)
	resync  func()
}

func (l *revocationListeners) deliver(r core.Revocation) {
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

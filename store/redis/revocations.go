package redis

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/accountgate/accountgate/account/core"
)

// The subscriber's timing: it pings its connection every pingInterval
// and gives it up when nothing came back for deadAfter, so Healthy turns
// false within about a second of Redis becoming unreachable. Failed
// subscriptions are retried after minBackoff, doubling up to maxBackoff.
const (
	pingInterval = 250 * time.Millisecond
	deadAfter    = 800 * time.Millisecond
	minBackoff   = 100 * time.Millisecond
	maxBackoff   = 2 * time.Second
)

// linger is how long the subscription outlives its last subscriber. A
// config reload starts the new configuration's subscriber and stops the
// old one in no fixed order: the new one then joins the live subscription
// instead of waiting for a new one (and clearing its cache). Close ends
// it at once.
const linger = 5 * time.Second

// channel is the pub/sub channel of revocations.
func (c *Client) channel() string { return c.key("revocations") }

// PublishRevocation implements core.Revocations: it publishes r as JSON
// to every instance subscribed with the same KeyPrefix.
func (c *Client) PublishRevocation(ctx context.Context, r core.Revocation) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return wrap("publish revocation", c.rdb.Publish(ctx, c.channel(), b).Err())
}

// Healthy reports whether the Client's one pub/sub subscription is
// confirmed and its connection answers pings. It says nothing about any
// one subscriber: see Subscription.Healthy.
func (c *Client) Healthy() bool { return c.hub.gen.Load() != 0 }

// SubscribeRevocations implements core.Revocations for callers that
// use the Client alone; it is NewSubscription().SubscribeRevocations.
func (c *Client) SubscribeRevocations(ctx context.Context, deliver func(core.Revocation), resync func()) {
	c.NewSubscription().SubscribeRevocations(ctx, deliver, resync)
}

// NewSubscription returns a subscriber of c's revocations with a health
// of its own. Every configuration (and every reload of it) sharing c
// takes its own Subscription: c holds one Redis subscription and fans
// each message out to all of them, so one subscriber ending never turns
// another unhealthy.
func (c *Client) NewSubscription() *Subscription { return &Subscription{c: c} }

// Subscription is one subscriber of a Client's revocations; it
// implements core.Revocations.
type Subscription struct {
	c *Client
	// gen is the hub generation this subscriber resynced for; 0 while it
	// is not subscribed.
	gen     atomic.Uint64
	deliver func(core.Revocation)
	resync  func()
}

var _ core.Revocations = (*Subscription)(nil)

// PublishRevocation implements core.Revocations.
func (s *Subscription) PublishRevocation(ctx context.Context, r core.Revocation) error {
	return s.c.PublishRevocation(ctx, r)
}

// Healthy implements core.Revocations: true while the Client's
// subscription is confirmed and this subscriber resynced since it was
// last (re)established.
func (s *Subscription) Healthy() bool {
	g := s.c.hub.gen.Load()
	return g != 0 && s.gen.Load() == g
}

// SubscribeRevocations implements core.Revocations. It joins the
// Client's subscription (starting it for the first subscriber) and
// returns when ctx ends, leaving it (it stops a while after the last
// subscriber left, or when the Client closes).
// Whenever the subscription is (re)established, resync runs before
// Healthy turns on, so that nothing cached while revocations were lost is
// trusted; a subscriber joining a live subscription resyncs at once.
// deliver and resync of all subscribers run one at a time and should be
// quick, as pings are not read while they run. Malformed messages are
// ignored. A Subscription subscribes once at a time.
func (s *Subscription) SubscribeRevocations(ctx context.Context, deliver func(core.Revocation), resync func()) {
	s.deliver, s.resync = deliver, resync
	h := &s.c.hub
	h.join(s.c, s)
	<-ctx.Done()
	h.leave(s)
}

// hub is a Client's one pub/sub subscription and its subscribers.
type hub struct {
	// life serialises joins and leaves, so that a subscription being
	// stopped has ended before another one starts.
	life sync.Mutex
	// mu guards subs and run, and serialises the subscribers' callbacks.
	mu   sync.Mutex
	subs map[*Subscription]struct{}
	run  *hubRun
	// idle stops run once linger passed without subscribers.
	idle *time.Timer
	// gen counts (re)established subscriptions; it is 0 while there is
	// none, so Healthy reads it without a lock.
	gen  atomic.Uint64
	last uint64
}

// hubRun is one running subscription loop.
type hubRun struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func (h *hub) join(c *Client, s *Subscription) {
	h.life.Lock()
	defer h.life.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[*Subscription]struct{}{}
	}
	h.subs[s] = struct{}{}
	if h.idle != nil {
		h.idle.Stop()
		h.idle = nil
	}
	if g := h.gen.Load(); g != 0 {
		s.resync()
		s.gen.Store(g)
	}
	if h.run == nil {
		ctx, cancel := context.WithCancel(context.Background())
		r := &hubRun{cancel: cancel, done: make(chan struct{})}
		h.run = r
		go func() {
			defer close(r.done)
			c.subscribeLoop(ctx)
		}()
	}
}

func (h *hub) leave(s *Subscription) {
	h.life.Lock()
	defer h.life.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, s)
	s.gen.Store(0)
	if len(h.subs) == 0 && h.run != nil && h.idle == nil {
		var t *time.Timer
		t = time.AfterFunc(linger, func() { h.stopIdle(t) })
		h.idle = t
	}
}

// stopIdle stops the subscription if timer t is still the pending one
// (no subscriber joined since).
func (h *hub) stopIdle(t *time.Timer) {
	h.life.Lock()
	defer h.life.Unlock()
	h.mu.Lock()
	if h.idle != t || len(h.subs) > 0 {
		h.mu.Unlock()
		return
	}
	h.idle = nil
	r := h.run
	h.run = nil
	h.mu.Unlock()
	h.stopRun(r)
}

// close stops the subscription at once; subscribers still joined turn
// unhealthy.
func (h *hub) close() {
	h.life.Lock()
	defer h.life.Unlock()
	h.mu.Lock()
	if h.idle != nil {
		h.idle.Stop()
		h.idle = nil
	}
	r := h.run
	h.run = nil
	h.mu.Unlock()
	h.stopRun(r)
}

// stopRun ends r and waits for it; the caller holds life.
func (h *hub) stopRun(r *hubRun) {
	if r == nil {
		return
	}
	r.cancel()
	<-r.done
	h.gen.Store(0)
}

// established runs when Redis confirmed the subscription: every
// subscriber resyncs, then all turn healthy under a new generation.
func (h *hub) established() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last++
	for s := range h.subs {
		s.resync()
		s.gen.Store(h.last)
	}
	h.gen.Store(h.last)
}

// broadcast delivers r to every subscriber.
func (h *hub) broadcast(r core.Revocation) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.deliver(r)
	}
}

// down marks the subscription lost: every subscriber turns unhealthy.
func (h *hub) down() { h.gen.Store(0) }

// subscribeLoop subscribes until ctx ends. On any error, or when the
// connection stops answering pings, it turns Healthy off and subscribes
// again after a backoff (100 ms doubling to 2 s).
func (c *Client) subscribeLoop(ctx context.Context) {
	defer c.hub.down()
	backoff := minBackoff
	for ctx.Err() == nil {
		if c.listen(ctx) {
			backoff = minBackoff
		}
		c.hub.down()
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// listen runs one subscription until it fails or ctx ends. It reports
// whether the subscription was confirmed.
func (c *Client) listen(ctx context.Context) (confirmed bool) {
	// lctx ends the subscription: a failed ping cancels it, so that
	// go-redis's own reconnection attempt inside Receive gives up at once.
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ps := c.rdb.Subscribe(lctx)
	defer ps.Close()
	if err := ps.Subscribe(lctx, c.channel()); err != nil {
		return false
	}

	var lastSeen atomic.Int64 // unix ns of the last reply read
	lastSeen.Store(time.Now().UnixNano())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // runs before wg.Wait: stops the monitor
	wg.Go(func() {
		c.monitor(lctx, cancel, ps, &lastSeen)
	})

	for lctx.Err() == nil {
		msg, err := ps.Receive(lctx)
		if err != nil {
			c.hub.down()
			return confirmed
		}
		lastSeen.Store(time.Now().UnixNano())
		switch m := msg.(type) {
		case *goredis.Subscription:
			if !confirmed && m.Kind == "subscribe" && m.Channel == c.channel() {
				confirmed = true
				c.hub.established()
				if lctx.Err() != nil { // the monitor gave up meanwhile
					c.hub.down()
				}
			}
		case *goredis.Message:
			var r core.Revocation
			if err := json.Unmarshal([]byte(m.Payload), &r); err != nil || (r.SessionID == "" && r.UserID == "" && !r.AssertionKeys) {
				continue
			}
			c.hub.broadcast(r)
		}
	}
	return confirmed
}

// monitor pings ps every pingInterval and, when no reply was read for
// deadAfter or a ping fails, turns Healthy off, cancels the subscription
// and closes ps (which unblocks Receive). It returns when ctx ends.
func (c *Client) monitor(ctx context.Context, cancel context.CancelFunc, ps *goredis.PubSub, lastSeen *atomic.Int64) {
	t := time.NewTicker(pingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			_ = ps.Close()
			return
		case <-t.C:
		}
		if time.Since(time.Unix(0, lastSeen.Load())) > deadAfter || ps.Ping(ctx) != nil {
			c.hub.down()
			cancel()
			_ = ps.Close()
			return
		}
	}
}

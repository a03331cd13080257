package redis

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/accountgate/accountgate/account"
)

// The subscriber's timing: it pings its connection every pingInterval
// and gives it up when nothing came back for deadAfter, so Healthy turns
// false within about a second of Redis becoming unreachable. Failed
// subscriptions are retried after minBackoff, doubling up to maxBackoff.
var (
	pingInterval = 250 * time.Millisecond
	deadAfter    = 800 * time.Millisecond
	minBackoff   = 100 * time.Millisecond
	maxBackoff   = 2 * time.Second
)

// channel is the pub/sub channel of revocations.
func (c *Client) channel() string { return c.key("revocations") }

// PublishRevocation implements account.Revocations: it publishes r as JSON
// to every instance subscribed with the same KeyPrefix.
func (c *Client) PublishRevocation(ctx context.Context, r account.Revocation) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return wrap("publish revocation", c.rdb.Publish(ctx, c.channel(), b).Err())
}

// Healthy implements account.Revocations: it is true while the
// subscription of SubscribeRevocations is confirmed and its connection
// answers pings.
func (c *Client) Healthy() bool { return c.healthy.Load() }

// SubscribeRevocations implements account.Revocations. Until ctx ends it
// subscribes, waits for Redis to confirm the subscription, calls resync,
// turns Healthy on and delivers every revocation received. On any error, or
// when the connection stops answering pings, it turns Healthy off and
// subscribes again after a backoff (100 ms doubling to 2 s).
//
// resync runs before Healthy turns on, so that nothing cached while
// revocations were lost is trusted. deliver and resync run on the calling
// goroutine, one at a time; they should be quick, as pings are not read
// while they run. Malformed messages are ignored.
func (c *Client) SubscribeRevocations(ctx context.Context, deliver func(account.Revocation), resync func()) {
	defer c.healthy.Store(false)
	backoff := minBackoff
	for ctx.Err() == nil {
		if c.listen(ctx, deliver, resync) {
			backoff = minBackoff
		}
		c.healthy.Store(false)
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
func (c *Client) listen(ctx context.Context, deliver func(account.Revocation), resync func()) (confirmed bool) {
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
			c.healthy.Store(false)
			return confirmed
		}
		lastSeen.Store(time.Now().UnixNano())
		switch m := msg.(type) {
		case *goredis.Subscription:
			if !confirmed && m.Kind == "subscribe" && m.Channel == c.channel() {
				confirmed = true
				resync()
				c.healthy.Store(true)
				if lctx.Err() != nil { // the monitor gave up meanwhile
					c.healthy.Store(false)
				}
			}
		case *goredis.Message:
			var r account.Revocation
			if err := json.Unmarshal([]byte(m.Payload), &r); err != nil || (r.SessionID == "" && r.UserID == "") {
				continue
			}
			deliver(r)
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
			c.healthy.Store(false)
			cancel()
			_ = ps.Close()
			return
		}
	}
}

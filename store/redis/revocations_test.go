package redis

import (
	"context"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// subscriber runs SubscribeRevocations on c until the test ends and
// records what it gets.
type subscriber struct {
	got     chan core.Revocation
	resyncs atomic.Int32
}

func subscribe(t *testing.T, c *Client) *subscriber {
	t.Helper()
	s := &subscriber{got: make(chan core.Revocation, 16)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	sub := c.NewSubscription()
	go func() {
		defer close(done)
		sub.SubscribeRevocations(ctx, func(r core.Revocation) { s.got <- r }, func() { s.resyncs.Add(1) })
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		if sub.Healthy() {
			t.Error("Healthy after SubscribeRevocations returned")
		}
	})
	return s
}

// waitHealthy waits until c.Healthy() is want, or fails after d.
func waitHealthy(t *testing.T, c *Client, want bool, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); c.Healthy() != want; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("Healthy() not %v after %v", want, d)
		}
	}
}

func (s *subscriber) expect(t *testing.T, want core.Revocation) {
	t.Helper()
	select {
	case r := <-s.got:
		if r != want {
			t.Fatalf("delivered %+v, want %+v", r, want)
		}
	case <-time.After(time.Second):
		t.Fatalf("%+v not delivered within a second", want)
	}
}

func TestRevocations(t *testing.T) {
	url := testURL(t)
	t.Parallel()
	ctx := t.Context()
	prefix := newPrefix(t)
	a, b := openTest(t, url, prefix, Options{}), openTest(t, url, prefix, Options{})
	other := openTest(t, url, newPrefix(t), Options{}) // another project
	sa, sb, so := subscribe(t, a), subscribe(t, b), subscribe(t, other)
	for _, c := range []*Client{a, b, other} {
		waitHealthy(t, c, true, 2*time.Second)
	}
	for _, s := range []*subscriber{sa, sb, so} {
		if n := s.resyncs.Load(); n != 1 {
			t.Fatalf("%d resyncs on first subscribe, want 1", n)
		}
	}
	// Garbage on the channel is skipped, and so is a message that names
	// nothing to forget.
	a.rdb.Publish(ctx, a.channel(), "not json")
	a.rdb.Publish(ctx, a.channel(), "{}")
	// An assertion key rotation names no session or user.
	for _, r := range []core.Revocation{{SessionID: "s1"}, {UserID: "u1"}, {AssertionKeys: true}} {
		if err := a.PublishRevocation(ctx, r); err != nil {
			t.Fatal(err)
		}
		sa.expect(t, r)
		sb.expect(t, r)
	}
	select {
	case r := <-so.got:
		t.Fatalf("another prefix got %+v", r)
	default:
	}
}

// proxy forwards TCP connections to Redis; a test can stop it (dropping
// every connection), start it again on the same address, or pause it
// (holding every byte, as a network partition would).
type proxy struct {
	t      *testing.T
	target string
	addr   string
	paused atomic.Bool
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target, addr: "127.0.0.1:0"}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", p.target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			p.wg.Go(func() { p.pipe(out, in) })
			p.wg.Go(func() { p.pipe(in, out) })
		}
	})
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		for p.paused.Load() {
			time.Sleep(5 * time.Millisecond)
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// stop closes the listener and every connection, and waits for the
// forwarding goroutines.
func (p *proxy) stop() {
	p.paused.Store(false)
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}

func TestRevocationsReconnect(t *testing.T) {
	rawURL := testURL(t)
	t.Parallel()
	ctx := t.Context()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, u.Host)
	u.Host = p.addr
	prefix := newPrefix(t)
	direct := openTest(t, rawURL, prefix, Options{})
	c := openTest(t, u.String(), prefix, Options{DialTimeout: 300 * time.Millisecond, ReadTimeout: 300 * time.Millisecond})
	s := subscribe(t, c)
	waitHealthy(t, c, true, 2*time.Second)

	// Redis goes away: connections drop.
	p.stop()
	waitHealthy(t, c, false, time.Second)
	p.start()
	waitHealthy(t, c, true, 4*time.Second)
	if n := s.resyncs.Load(); n != 2 {
		t.Fatalf("%d resyncs after a reconnection, want 2", n)
	}
	r := core.Revocation{SessionID: "after-reconnect"}
	if err := direct.PublishRevocation(ctx, r); err != nil {
		t.Fatal(err)
	}
	s.expect(t, r)

	// Redis stops answering but the connection stays open.
	p.paused.Store(true)
	waitHealthy(t, c, false, 1500*time.Millisecond)
	p.paused.Store(false)
	waitHealthy(t, c, true, 5*time.Second)
	if n := s.resyncs.Load(); n != 3 {
		t.Fatalf("%d resyncs after a partition, want 3", n)
	}
	r = core.Revocation{UserID: "after-partition"}
	if err := direct.PublishRevocation(ctx, r); err != nil {
		t.Fatal(err)
	}
	s.expect(t, r)
}

// subscribeWith runs s.SubscribeRevocations until stop is called.
func subscribeWith(t *testing.T, s *Subscription) (*subscriber, func()) {
	t.Helper()
	rec := &subscriber{got: make(chan core.Revocation, 16)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.SubscribeRevocations(ctx, func(r core.Revocation) { rec.got <- r }, func() { rec.resyncs.Add(1) })
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	t.Cleanup(stop)
	return rec, stop
}

func waitSubHealthy(t *testing.T, s *Subscription, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); !s.Healthy(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("subscription not healthy after %v", d)
		}
	}
}

// TestSubscriptionsShareOneClient is what a config reload does: the new
// configuration subscribes on the pooled Client, then the old one stops.
// The old subscriber's end must leave the new one healthy and receiving
// (it used to mark the shared Client unhealthy for good).
func TestSubscriptionsShareOneClient(t *testing.T) {
	url := testURL(t)
	t.Parallel()
	ctx := t.Context()
	prefix := newPrefix(t)
	c := openTest(t, url, prefix, Options{})
	other := openTest(t, url, prefix, Options{}) // another instance
	oldSub, newSub := c.NewSubscription(), c.NewSubscription()
	oldRec, stopOld := subscribeWith(t, oldSub)
	waitSubHealthy(t, oldSub, 2*time.Second)
	if newSub.Healthy() {
		t.Fatal("a subscription that has not subscribed reports healthy")
	}
	newRec, _ := subscribeWith(t, newSub)
	waitSubHealthy(t, newSub, 2*time.Second)
	if n := newRec.resyncs.Load(); n != 1 {
		t.Fatalf("joining a live subscription: %d resyncs, want 1", n)
	}
	r := core.Revocation{SessionID: "both"}
	if err := other.PublishRevocation(ctx, r); err != nil {
		t.Fatal(err)
	}
	oldRec.expect(t, r)
	newRec.expect(t, r)

	stopOld()
	if oldSub.Healthy() {
		t.Fatal("the stopped subscription still reports healthy")
	}
	// Long enough for any background write of the old subscriber to land.
	time.Sleep(3 * pingInterval)
	if !newSub.Healthy() || !c.Healthy() {
		t.Fatal("the remaining subscription turned unhealthy when the other one stopped")
	}
	r = core.Revocation{UserID: "after-reload"}
	if err := other.PublishRevocation(ctx, r); err != nil {
		t.Fatal(err)
	}
	newRec.expect(t, r)
	if n := newRec.resyncs.Load(); n != 1 {
		t.Fatalf("%d resyncs, want 1: the subscription was re-established needlessly", n)
	}
}

// TestSubscriptionLingers: a reload may stop the old subscriber before
// the new one joins. The subscription outlives its last subscriber for a
// while, so the new one is healthy at once; Close ends it.
func TestSubscriptionLingers(t *testing.T) {
	url := testURL(t)
	t.Parallel()
	c := openTest(t, url, newPrefix(t), Options{})
	first := c.NewSubscription()
	_, stopFirst := subscribeWith(t, first)
	waitSubHealthy(t, first, 2*time.Second)
	stopFirst()
	second := c.NewSubscription()
	rec, _ := subscribeWith(t, second)
	for end := time.Now().Add(time.Second); rec.resyncs.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the joining subscriber was not resynced")
		}
	}
	if !second.Healthy() {
		t.Fatal("a subscriber joining right after the last one left is not healthy at once")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if second.Healthy() || c.Healthy() {
		t.Fatal("healthy after Close")
	}
}

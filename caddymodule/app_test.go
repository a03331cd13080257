package caddymodule

import (
	"encoding/json"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// holdingSink accepts SMTP connections and answers nothing for hold,
// then hangs up, as a mail server that is stuck; it tells accepted when a
// connection arrives.
func holdingSink(t *testing.T, hold time.Duration) (addr string, accepted <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan struct{}, 16)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			ch <- struct{}{}
			_ = c.SetReadDeadline(time.Now().Add(hold))
			wg.Go(func() {
				defer c.Close()
				buf := make([]byte, 512)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String(), ch
}

// accountGoroutines lists the running goroutines of the account
// package. (A pooled Redis client's subscription is the pool's: it ends
// when Cleanup releases the client, which goleak checks.)
func accountGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var found []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "accountgate/account.") {
			found = append(found, g)
		}
	}
	return found
}

// TestAppStopAwaitsBackgroundWork: Stop returns only once every goroutine
// Start began has ended, even with a delivery stuck on a mail server
// (and, with Redis, the revocation subscription running); nothing is left
// behind after Cleanup. The stuck send ends with Stop, not at its 20 s
// timeout.
func TestAppStopAwaitsBackgroundWork(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) }) // runs last
	sink, accepted := holdingSink(t, time.Minute)
	var cfg map[string]any
	_ = json.Unmarshal(reloadConfig(t.TempDir(), os.Getenv("ACCOUNTGATE_TEST_REDIS"), "accountgate-test:"+newTestPrefix()+":", nil), &cfg)
	p := cfg["projects"].(map[string]any)["p"].(map[string]any)
	p["mailer"] = map[string]any{"kind": "smtp", "address": sink, "tls": "none", "from": "gate@example.com"}
	p["rate_limits_off"] = true
	raw, _ := json.Marshal(cfg)

	a := startApp(t, raw)
	if rec := call(a.slots["p"].svc.Load(), "POST", "/v1/account/sessions/magic-url", `{"userId":"unique()","email":"stop@example.com"}`, ""); rec.Code != 201 {
		t.Fatalf("magic URL: %d %s", rec.Code, rec.Body)
	}
	select {
	case <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("the delivery never reached the mail server")
	}
	start := time.Now()
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	if left := accountGoroutines(); len(left) > 0 {
		t.Fatalf("Stop returned with %d goroutines of ours still running:\n%s", len(left), strings.Join(left, "\n\n"))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Stop took %v: the stuck delivery did not end with it", d)
	}
	if err := a.Cleanup(); err != nil {
		t.Fatal(err)
	}
}

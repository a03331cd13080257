package caddymodule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/postgres"
	"github.com/accountgate/accountgate/store/redis"
	"github.com/accountgate/accountgate/store/sqlite"
)

// probe asks h and returns the status and decoded body.
func probe(t *testing.T, h *Health, method string) (int, healthReport, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := h.ServeHTTP(rec, httptest.NewRequest(method, "http://localhost/healthz", nil), nil); err != nil {
		t.Fatal(err)
	}
	var rep healthReport
	if method != "HEAD" {
		if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
			t.Fatalf("body %q: %v", rec.Body.String(), err)
		}
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", rec.Header())
	}
	return rec.Code, rep, rec.Body.String()
}

func newHealth(check string, ops *projectOps) *Health {
	h := &Health{Project: "p", Check: check, Timeout: caddy.Duration(defaultHealthTimeout), ops: new(atomic.Pointer[projectOps]), logger: zap.NewNop()}
	if ops != nil {
		h.ops.Store(ops)
	}
	h.failing = new(atomic.Bool)
	return h
}

// downStore is a store whose backend is gone.
type downStore struct{ core.StoreStatus }

func (downStore) Ping(context.Context) error { return core.ErrUnavailable }

func TestHealthSQLite(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/h.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ready := newHealth("ready", &projectOps{kind: "sqlite", store: st})
	code, rep, _ := probe(t, ready, "GET")
	if code != 200 || rep.Status != "pass" || rep.Checks["store"].Status != "pass" || rep.Checks["store"].Kind != "sqlite" {
		t.Errorf("ready: %d %+v", code, rep)
	}
	if _, ok := rep.Checks["redis"]; ok {
		t.Error("a redis check without redis configured")
	}
	if code, _, body := probe(t, ready, "HEAD"); code != 200 || body != "" {
		t.Errorf("HEAD: %d %q", code, body)
	}

	// Before the app starts there is nothing to ping: not ready.
	code, rep, _ = probe(t, newHealth("ready", nil), "GET")
	if code != 503 || rep.Status != "fail" || rep.Checks["start"].Status != "fail" {
		t.Errorf("ready before the start: %d %+v", code, rep)
	}

	down := &projectOps{kind: "sqlite", store: downStore{st}}
	code, rep, _ = probe(t, newHealth("ready", down), "GET")
	if code != 503 || rep.Status != "fail" || rep.Checks["store"].Status != "fail" {
		t.Errorf("ready with the store down: %d %+v", code, rep)
	}
	// Liveness does not look at dependencies.
	code, rep, body := probe(t, newHealth("live", down), "GET")
	if code != 200 || rep.Status != "pass" || rep.Checks != nil {
		t.Errorf("live with the store down: %d %s", code, body)
	}
}

// tcpProxy forwards 127.0.0.1:port to target until down(); up() listens
// on the same port again. It stands for a server that stops and starts,
// without stopping the shared test servers.
type tcpProxy struct {
	t      *testing.T
	target string
	port   int
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

func startTCPProxy(t *testing.T, target string) *tcpProxy {
	p := &tcpProxy{t: t, target: target, conns: map[net.Conn]bool{}}
	p.up()
	t.Cleanup(p.down)
	return p
}

func (p *tcpProxy) up() {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)))
	if err != nil {
		p.t.Fatal(err)
	}
	p.port = ln.Addr().(*net.TCPAddr).Port
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *tcpProxy) forward(c net.Conn) {
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, u) {
		return
	}
	go func() { io.Copy(u, c); u.Close() }()
	io.Copy(c, u)
	c.Close()
}

// track records the pair, or closes it when the proxy is down already.
func (p *tcpProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		p.conns[c] = true
	}
	return true
}

func (p *tcpProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// via rewrites rawURL's host to the proxy.
func (p *tcpProxy) via(rawURL string) string {
	u, _ := url.Parse(rawURL)
	u.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port))
	return u.String()
}

func hostOf(t *testing.T, rawURL, defPort string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), defPort)
	}
	return u.Host
}

// TestHealthPostgresAndRedis: readiness follows PostgreSQL and Redis as
// they go away and come back (through proxies), answering within the
// timeout; liveness stays up.
func TestHealthPostgresAndRedis(t *testing.T) {
	dsn, redisURL := os.Getenv("ACCOUNTGATE_TEST_POSTGRES"), os.Getenv("ACCOUNTGATE_TEST_REDIS")
	if dsn == "" || redisURL == "" {
		t.Skip("set ACCOUNTGATE_TEST_POSTGRES and ACCOUNTGATE_TEST_REDIS to run this test")
	}
	ctx := context.Background()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "ag_health_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			conn.Exec(ctx, `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`)
			conn.Close(ctx)
		}
	})
	pg := startTCPProxy(t, hostOf(t, dsn, "5432"))
	rd := startTCPProxy(t, hostOf(t, redisURL, "6379"))
	st, err := postgres.Open(ctx, pg.via(dsn), postgres.Options{Schema: schema, ConnectTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rc, err := redis.Open(ctx, rd.via(redisURL), redis.Options{KeyPrefix: schema + ":",
		DialTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	ops := &projectOps{kind: "postgres", store: st, redis: rc}
	ready, live := newHealth("ready", ops), newHealth("live", ops)

	expect := func(what string, wantCode int, store, red string) {
		t.Helper()
		start := time.Now()
		code, rep, body := probe(t, ready, "GET")
		if d := time.Since(start); d > defaultHealthTimeout+time.Second {
			t.Errorf("%s: the probe took %v", what, d)
		}
		if code != wantCode || rep.Checks["store"].Status != store || rep.Checks["redis"].Status != red ||
			rep.Checks["store"].Kind != "postgres" || rep.Checks["redis"].Kind != "redis" {
			t.Errorf("%s: %d %s, want %d store %s redis %s", what, code, body, wantCode, store, red)
		}
		if code, _, _ := probe(t, live, "GET"); code != 200 {
			t.Errorf("%s: liveness %d", what, code)
		}
	}
	expect("both up", 200, "pass", "pass")
	pg.down()
	expect("postgres down", 503, "fail", "pass")
	pg.up()
	eventually(t, "postgres back", func() bool { c, _, _ := probe(t, ready, "GET"); return c == 200 })
	expect("postgres back", 200, "pass", "pass")
	rd.down()
	expect("redis down", 503, "pass", "fail")
	rd.up()
	eventually(t, "redis back", func() bool { c, _, _ := probe(t, ready, "GET"); return c == 200 })
	expect("redis back", 200, "pass", "pass")
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not ready within 10s", what)
		}
	}
}

func TestHealthCaddyfile(t *testing.T) {
	for _, tc := range []struct {
		in      string
		check   string
		timeout time.Duration
		err     bool
	}{
		{in: "account_health demo", check: ""},
		{in: "account_health demo live", check: "live"},
		{in: "account_health demo ready {\n timeout 500ms\n}", check: "ready", timeout: 500 * time.Millisecond},
		{in: "account_health", err: true},
		{in: "account_health demo sometimes", err: true},
		{in: "account_health demo ready extra", err: true},
		{in: "account_health demo {\n timeout 0s\n}", err: true},
		{in: "account_health demo {\n retries 3\n}", err: true},
	} {
		var h Health
		err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.in))
		if (err != nil) != tc.err {
			t.Errorf("%q: error %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if err == nil && (h.Project != "demo" || h.Check != tc.check || time.Duration(h.Timeout) != tc.timeout) {
			t.Errorf("%q: %+v", tc.in, h)
		}
	}
	if err := (&Health{}).Validate(); err == nil {
		t.Error("Validate accepted a health check without a project")
	}
	if err := (&Health{Project: "p", Check: "maybe"}).Validate(); err == nil {
		t.Error("Validate accepted an unknown check")
	}
}

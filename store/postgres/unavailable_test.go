package postgres_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/postgres"
)

// TestOpenUnreachable opens a DSN whose port nothing listens on: Open
// fails at once, with an error the API answers with 503.
func TestOpenUnreachable(t *testing.T) {
	start := time.Now()
	_, err := postgres.Open(context.Background(), "postgres://accountgate@127.0.0.1:1/accountgate?sslmode=disable",
		postgres.Options{ConnectTimeout: 2 * time.Second, Schema: "unused"})
	if err == nil {
		t.Fatal("Open succeeded")
	}
	if !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("Open = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open took %v to fail", d)
	}
}

// TestServerStops opens a store through a TCP proxy to the test server,
// then stops the proxy: to the store the server is gone, its pooled
// connections broken and new ones refused. Every call must then fail with
// ErrUnavailable, quickly, and the store must work again once the server
// is back. This stands for a database that stops or restarts under a
// running instance, without stopping the shared test server.
func TestServerStops(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	p := startProxy(t, dsn)
	s := openStore(t, p.dsn(t, dsn), postgres.Options{
		Schema: schema, MaxConns: 4, ConnectTimeout: 2 * time.Second, QueryTimeout: 5 * time.Second,
	})
	ctx := context.Background()
	if err := s.CreateUser(ctx, &core.User{ID: "u1"}); err != nil {
		t.Fatal(err)
	}

	p.stop()
	calls := map[string]func() error{
		"UserByID": func() error { _, err := s.UserByID(ctx, "u1"); return err },
		"CreateUser": func() error {
			return s.CreateUser(ctx, &core.User{ID: "u2"})
		},
		"WithTx": func() error {
			return s.WithTx(ctx, func(tx core.Store) error { _, err := tx.UserByID(ctx, "u1"); return err })
		},
		"ClaimMessages": func() error { _, err := s.ClaimMessages(ctx, time.Now(), time.Minute, 10); return err },
	}
	// Twice: the first calls meet the broken pooled connection, the next
	// ones refused new connections.
	for range 2 {
		for name, call := range calls {
			start := time.Now()
			err := call()
			if !errors.Is(err, core.ErrUnavailable) {
				t.Errorf("%s with the server gone = %v, want ErrUnavailable", name, err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("%s took %v to fail", name, d)
			}
		}
	}

	p.restart(t)
	if _, err := s.UserByID(ctx, "u1"); err != nil {
		t.Errorf("UserByID with the server back: %v", err)
	}

	s.Close()
	if _, err := s.UserByID(ctx, "u1"); !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("UserByID after Close = %v, want ErrUnavailable", err)
	}
}

// TestQueryTimeout holds a row lock in another session so that UpdateUser
// waits for it: Options.QueryTimeout ends the wait with ErrUnavailable,
// and the store is usable afterwards.
func TestQueryTimeout(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	s := openStore(t, dsn, postgres.Options{Schema: schema, QueryTimeout: 200 * time.Millisecond})
	ctx := context.Background()
	if err := s.CreateUser(ctx, &core.User{ID: "u1"}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT 1 FROM `+pgx.Identifier{schema, "users"}.Sanitize()+
		` WHERE id = 'u1' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = s.UpdateUser(ctx, &core.User{ID: "u1", Name: "blocked"})
	if !errors.Is(err, core.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("UpdateUser on a locked row = %v, want ErrUnavailable from a deadline", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("UpdateUser took %v with a 200ms query timeout", d)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateUser(ctx, &core.User{ID: "u1", Name: "free"}); err != nil {
		t.Errorf("UpdateUser after the lock is gone: %v", err)
	}
	// A caller that gives up is not an unavailable database.
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.UserByID(canceled, "u1"); !errors.Is(err, context.Canceled) || errors.Is(err, core.ErrUnavailable) {
		t.Errorf("UserByID with a canceled context = %v, want context.Canceled only", err)
	}
}

// proxy forwards TCP connections to the test server until stopped.
type proxy struct {
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

// startProxy listens on a free local port and forwards to the host and
// port of dsn.
func startProxy(t *testing.T, dsn string) *proxy {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{target: net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.stop)
	return p
}

// restart listens again on the same address after stop.
func (p *proxy) restart(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.serve(ln)
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
}

// stop closes the listener and every forwarded connection.
func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// dsn returns dsn pointed at the proxy instead of the server.
func (p *proxy) dsn(t *testing.T, dsn string) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(p.addr)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		u.Host = p.addr
		return u.String()
	}
	// In the key=value form the last setting of a key wins.
	return dsn + " host=" + host + " port=" + port
}

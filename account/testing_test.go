package account_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/sqlite"
)

// fakeClock is a settable clock for expiry tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a service on a fresh SQLite store, served by httptest.
type env struct {
	t     testing.TB
	svc   *account.Service
	store *sqlite.Store
	clock *fakeClock
}

func newEnv(t testing.TB, edit func(*core.Config)) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/test.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := &fakeClock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	cfg := core.Config{
		ProjectID: "test",
		Store:     st,
		Platforms: []string{"localhost", "*.example.com"},
		PublicURL: "http://localhost:8080",
		// A cheap cost keeps tests fast; the cost itself is tested apart.
		Password: core.PasswordConfig{Memory: 64, Time: 1, Threads: 1},
		Now:      clock.Now,
		// Most tests send more requests than the limits allow; the limit
		// tests switch them back on.
		RateLimits: core.RateLimitConfig{Off: true},
	}
	if edit != nil {
		edit(&cfg)
	}
	svc, err := account.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, svc: svc, store: st, clock: clock}
}

// response is a recorded API answer.
type response struct {
	status int
	header http.Header
	body   string
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %q", err, r.body)
	}
	return m
}

// do sends a request to the API handler. headers may include "Cookie".
func (e *env) do(method, path, body string, headers map[string]string) response {
	e.t.Helper()
	return responseOf(e.svc, method, path, body, headers)
}

// responseOf sends a request to svc's API handler, with a JSON body when
// body is not empty.
func responseOf(svc *account.Service, method, path, body string, headers map[string]string) response {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, "http://localhost:8080"+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return serve(svc, req, headers)
}

// serve sends req, with headers set, to svc's API handler.
func serve(svc *account.Service, req *http.Request, headers map[string]string) response {
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	svc.APIHandler().ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

// signUp creates an account and returns its id.
func (e *env) signUp(email, password string) string {
	e.t.Helper()
	r := e.do("POST", "/v1/account", `{"userId":"unique()","email":"`+email+`","password":"`+password+`","name":"Test"}`, nil)
	if r.status != 201 {
		e.t.Fatalf("sign-up: %d %s", r.status, r.body)
	}
	return r.json(e.t)["$id"].(string)
}

// signIn creates an email session and returns the cookie header value
// that carries it, plus the session model.
func (e *env) signIn(email, password string) (cookie string, session map[string]any) {
	e.t.Helper()
	r := e.do("POST", "/v1/account/sessions/email", `{"email":"`+email+`","password":"`+password+`"}`, nil)
	if r.status != 201 {
		e.t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "a_session_test" {
			return "a_session_test=" + c.Value, r.json(e.t)
		}
	}
	e.t.Fatalf("sign-in set no a_session_test cookie: %v", r.header["Set-Cookie"])
	return "", nil
}

func cookieHeader(c string) map[string]string { return map[string]string{"Cookie": c} }

// checkError asserts an Appwrite error response.
func checkError(t testing.TB, r response, status int, typ string, message string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	m := r.json(t)
	if m["type"] != typ {
		t.Fatalf("type %v, want %s: %s", m["type"], typ, r.body)
	}
	if m["code"] != float64(status) || m["version"] != core.Version {
		t.Fatalf("bad code/version: %s", r.body)
	}
	if message != "" && m["message"] != message {
		t.Fatalf("message %q, want %q", m["message"], message)
	}
}

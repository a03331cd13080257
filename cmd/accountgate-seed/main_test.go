package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/sqlite"
)

// TestSeededSessionsPassTheGate seeds a SQLite store, then builds the
// service on it and checks that every seeded cookie passes the gate as its
// user and session, and that a seeded user can sign in with the password.
func TestSeededSessionsPassTheGate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	o := options{store: "sqlite", dsn: filepath.Join(dir, "seed.db"), project: "Bench", users: 3, sessions: 7,
		out: filepath.Join(dir, "cookies.txt"), password: "password123", prefix: "user", duration: time.Hour}
	if err := run(ctx, o, time.Now()); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(o.out)
	if err != nil {
		t.Fatal(err)
	}
	cookies := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if len(cookies) != o.sessions {
		t.Fatalf("%d cookie lines, want %d", len(cookies), o.sessions)
	}

	st, err := sqlite.Open(ctx, o.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := account.New(ctx, core.Config{ProjectID: o.project, Store: st, PublicURL: "http://localhost:8080",
		Platforms: []string{"localhost"}, RateLimits: core.RateLimitConfig{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	perUser := map[string]int{}
	for i, c := range cookies {
		if !strings.HasPrefix(c, "a_session_bench=") {
			t.Fatalf("line %d: %q does not name the project's (lowercased) cookie", i, c)
		}
		r := httptest.NewRequest("GET", "http://localhost:8080/app", nil)
		r.Header.Set("Cookie", c)
		p, gerr := svc.GateCheck(r)
		if gerr != nil {
			t.Fatalf("line %d refused: %v", i, gerr)
		}
		if seen[p.Session.ID] {
			t.Fatalf("line %d: session %s seen twice", i, p.Session.ID)
		}
		seen[p.Session.ID] = true
		perUser[p.User.ID]++
		if p.Session.Provider != "email" || !p.User.Status {
			t.Fatalf("line %d: %+v %+v", i, p.Session, p.User)
		}
	}
	if len(perUser) != o.users {
		t.Fatalf("sessions spread over %d users, want %d", len(perUser), o.users)
	}

	// A seeded user signs in with the password; the server's own cookie
	// is encoded exactly as the tool encodes its cookies.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "http://localhost:8080/v1/account/sessions/email",
		strings.NewReader(`{"email":"user1@seed.example","password":"password123"}`))
	req.Header.Set("Content-Type", "application/json")
	svc.APIHandler().ServeHTTP(rec, req)
	if rec.Code != 201 {
		t.Fatalf("sign-in: %d %s", rec.Code, rec.Body)
	}
	var server *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == "a_session_bench" {
			server = c
		}
	}
	if server == nil {
		t.Fatalf("no session cookie in %v", rec.Header()["Set-Cookie"])
	}
	plain, err := url.QueryUnescape(server.Value)
	if err != nil {
		t.Fatal(err)
	}
	js, err := base64.StdEncoding.DecodeString(plain)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ ID, Secret string }
	if err := json.Unmarshal(js, &tok); err != nil {
		t.Fatal(err)
	}
	if got := cookieValue(tok.ID, tok.Secret); got != server.Value {
		t.Fatalf("tool encodes %q, server set %q", got, server.Value)
	}
}

func TestOptionsCheck(t *testing.T) {
	good := options{store: "sqlite", dsn: "x.db", project: "p", users: 1, sessions: 1, out: "c.txt", password: "password123", duration: time.Hour}
	if err := good.check(); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(*options){
		"store":    func(o *options) { o.store = "mysql" },
		"project":  func(o *options) { o.project = "_p" },
		"users":    func(o *options) { o.users = 0 },
		"password": func(o *options) { o.password = "short" },
		"out":      func(o *options) { o.out = "" },
	} {
		o := good
		edit(&o)
		if o.check() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

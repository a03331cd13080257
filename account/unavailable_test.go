package account_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/accountgate/accountgate/account/core"
)

// flakyStore fails every call with ErrUnavailable while down, like a
// database that cannot be reached.
type flakyStore struct {
	core.Store
	down atomic.Bool
}

func (f *flakyStore) err() error {
	if f.down.Load() {
		return fmt.Errorf("dial tcp 127.0.0.1:5432: connection refused: %w", core.ErrUnavailable)
	}
	return nil
}

func (f *flakyStore) UserByEmail(ctx context.Context, email string) (*core.User, error) {
	if err := f.err(); err != nil {
		return nil, err
	}
	return f.Store.UserByEmail(ctx, email)
}

func (f *flakyStore) SessionBySecretHash(ctx context.Context, h []byte) (*core.Session, error) {
	if err := f.err(); err != nil {
		return nil, err
	}
	return f.Store.SessionBySecretHash(ctx, h)
}

func (f *flakyStore) CreateUser(ctx context.Context, u *core.User) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.Store.CreateUser(ctx, u)
}

// TestStoreUnavailable: while the database is down, the API and the gate
// answer 503 in the Appwrite error shape; when it is back, they recover
// without a restart.
func TestStoreUnavailable(t *testing.T) {
	t.Parallel()
	base := newEnv(t, nil)
	flaky := &flakyStore{Store: base.store}
	e := newEnv(t, func(c *core.Config) { c.Store = flaky; c.CacheSize = -1 })
	e.store = base.store
	e.signUp("down@example.com", "password123")
	c, _ := e.signIn("down@example.com", "password123")

	flaky.down.Store(true)
	checkError(t, e.do("GET", "/v1/account", "", cookieHeader(c)), 503, "general_service_disabled", "")
	checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"down@example.com","password":"password123"}`, nil), 503, "general_service_disabled", "")
	checkError(t, e.do("POST", "/v1/account", `{"userId":"unique()","email":"new@example.com","password":"password123"}`, nil), 503, "general_service_disabled", "")
	req, _ := http.NewRequest("GET", "http://localhost:8080/app", nil)
	req.Header.Set("Cookie", c)
	if _, gerr := e.svc.GateCheck(req); gerr == nil || gerr.Status() != 503 {
		t.Fatalf("gate while the store is down: %v", gerr)
	}

	flaky.down.Store(false)
	if r := e.do("GET", "/v1/account", "", cookieHeader(c)); r.status != 200 {
		t.Fatalf("after recovery: %d %s", r.status, r.body)
	}
	if _, gerr := e.svc.GateCheck(req); gerr != nil {
		t.Fatalf("gate after recovery: %v", gerr)
	}
}

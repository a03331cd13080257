package account_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/usersapi"
)

// adminPair is a serving instance and an operator's tool on one store,
// sharing a revocation channel, as the admin command and a Caddy
// instance share Redis.
type adminPair struct {
	*env
	admin *account.Service
}

func newAdminPair(t *testing.T, edit func(*core.Config)) adminPair {
	t.Helper()
	b := &bus{}
	b.healthy.Store(true)
	conf := func(c *core.Config) {
		c.Revocations = b
		if edit != nil {
			edit(c)
		}
	}
	e := newEnv(t, conf)
	admin := another(t, e, conf).svc
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { e.svc.Run(ctx); done <- struct{}{} }()
	go func() { admin.ReceiveRevocations(ctx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	for deadline := time.Now().Add(5 * time.Second); b.ready.Load() != 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("services did not subscribe")
		}
	}
	if err := admin.WaitBroadcastReady(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	return adminPair{env: e, admin: admin}
}

// gate is the serving instance's gate decision for a request with these
// headers; nil means let through.
func (e *env) gate(headers map[string]string) *core.Error {
	e.t.Helper()
	req, _ := http.NewRequest("GET", "http://localhost:8080/app", nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	_, gerr := e.svc.GateCheck(req)
	return gerr
}

// wantGate fails unless the gate answers with typ ("" for let through).
func (e *env) wantGate(what string, headers map[string]string, typ core.ErrorType) {
	e.t.Helper()
	gerr := e.gate(headers)
	switch {
	case typ == "" && gerr != nil:
		e.t.Fatalf("%s: gate refused with %s", what, gerr.Type)
	case typ != "" && (gerr == nil || gerr.Type != typ):
		e.t.Fatalf("%s: gate answered %v, want %s", what, gerr, typ)
	}
}

// wantType fails unless err is an account error of type typ.
func wantType(t *testing.T, what string, err error, typ core.ErrorType) {
	t.Helper()
	var ae *core.Error
	if !errors.As(err, &ae) || ae.Type != typ {
		t.Fatalf("%s: error %v, want %s", what, err, typ)
	}
}

// TestAdminBlockAndUnblock: a block by the tool is refused at the
// serving instance's gate at once, though it had the session cached;
// the blocked user cannot sign in; unblocked, they can again.
func TestAdminBlockAndUnblock(t *testing.T) {
	t.Parallel()
	p := newAdminPair(t, nil)
	ctx := context.Background()
	id := p.signUp("blocked@example.com", "password123")
	c, _ := p.signIn("blocked@example.com", "password123")
	p.wantGate("before the block (now cached)", cookieHeader(c), "")

	u, err := p.admin.Users().SetUserStatus(ctx, id, false)
	if err != nil || u.Status {
		t.Fatalf("block: %v %+v", err, u)
	}
	p.wantGate("after the block", cookieHeader(c), core.ErrUserBlocked)
	checkError(t, p.do("POST", "/v1/account/sessions/email", `{"email":"blocked@example.com","password":"password123"}`, nil),
		401, "user_blocked", "")

	if u, err = p.admin.Users().SetUserStatus(ctx, id, true); err != nil || !u.Status {
		t.Fatalf("unblock: %v %+v", err, u)
	}
	c2, _ := p.signIn("blocked@example.com", "password123")
	p.wantGate("new session after the unblock", cookieHeader(c2), "")

	logs, _, err := p.store.UserLogs(ctx, id, 10, 0)
	if err != nil || len(logs) == 0 || logs[len(logs)-1].Event == "" {
		t.Fatalf("logs: %v %d", err, len(logs))
	}
	admin := 0
	for _, l := range logs {
		if l.Mode == "admin" && l.Event == "user.update" {
			admin++
		}
	}
	if admin != 2 {
		t.Errorf("%d admin user.update entries in the security log, want 2", admin)
	}

	_, err = p.admin.Users().SetUserStatus(ctx, "nobody", false)
	wantType(t, "block an unknown user", err, core.ErrUserNotFound)
}

// TestAdminSignOut: every session of the user ends, and the JWTs made
// from them, on the serving instance at once.
func TestAdminSignOut(t *testing.T) {
	t.Parallel()
	p := newAdminPair(t, nil)
	ctx := context.Background()
	id := p.signUp("out@example.com", "password123")
	c1, _ := p.signIn("out@example.com", "password123")
	c2, _ := p.signIn("out@example.com", "password123")
	jwt := p.do("POST", "/v1/account/jwt", "", cookieHeader(c1)).json(t)["jwt"].(string)
	jh := map[string]string{"X-Appwrite-JWT": jwt}
	for _, h := range []map[string]string{cookieHeader(c1), cookieHeader(c2), jh} {
		p.wantGate("before the sign-out (now cached)", h, "")
	}

	n, err := p.admin.Users().SignOutUser(ctx, id)
	if err != nil || n != 2 {
		t.Fatalf("sign-out: %d sessions, %v", n, err)
	}
	for _, h := range []map[string]string{cookieHeader(c1), cookieHeader(c2), jh} {
		p.wantGate("after the sign-out", h, core.ErrGeneralUnauthorizedScope)
	}
	if list, err := p.admin.Users().UserSessions(ctx, id); err != nil || len(list) != 0 {
		t.Fatalf("sessions left: %d %v", len(list), err)
	}
	// The account itself stays: the user signs in again.
	c3, _ := p.signIn("out@example.com", "password123")
	p.wantGate("a new session", cookieHeader(c3), "")

	_, err = p.admin.Users().SignOutUser(ctx, "nobody")
	wantType(t, "sign out an unknown user", err, core.ErrUserNotFound)
}

// TestAdminDelete: the user and everything of theirs goes, and their
// cached session is refused at once.
func TestAdminDelete(t *testing.T) {
	t.Parallel()
	p := newAdminPair(t, nil)
	ctx := context.Background()
	id := p.signUp("gone@example.com", "password123")
	keep := p.signUp("kept@example.com", "password123")
	c, _ := p.signIn("gone@example.com", "password123")
	ck, _ := p.signIn("kept@example.com", "password123")
	p.wantGate("before the delete (now cached)", cookieHeader(c), "")
	if err := p.store.CreateIdentity(ctx, &core.LinkedIdentity{ID: "i1", UserID: id, Provider: "github",
		ProviderUID: "42", CreatedAt: p.clock.Now()}); err != nil {
		t.Fatal(err)
	}

	if err := p.admin.Users().DeleteUser(ctx, id); err != nil {
		t.Fatal(err)
	}
	p.wantGate("after the delete", cookieHeader(c), core.ErrGeneralUnauthorizedScope)
	p.wantGate("another user", cookieHeader(ck), "")
	_, err := p.admin.Users().User(ctx, id)
	wantType(t, "the deleted user", err, core.ErrUserNotFound)
	if _, err := p.store.IdentityByProvider(ctx, "github", "42"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("identity left: %v", err)
	}
	if _, n, err := p.store.UserLogs(ctx, id, 10, 0); err != nil || n != 0 {
		t.Errorf("%d log entries left, %v", n, err)
	}
	if _, err := p.admin.Users().User(ctx, keep); err != nil {
		t.Errorf("the other user: %v", err)
	}
	// The email is free for a new account.
	p.signUp("gone@example.com", "password456")

	wantType(t, "delete again", p.admin.Users().DeleteUser(ctx, id), core.ErrUserNotFound)
}

// TestAdminSetPassword: the new password signs in, the old one no more;
// with revoke_sessions_on_password_change the sessions end too.
func TestAdminSetPassword(t *testing.T) {
	t.Parallel()
	for _, revoke := range []bool{false, true} {
		p := newAdminPair(t, func(c *core.Config) { c.RevokeSessionsOnPasswordChange = revoke })
		ctx := context.Background()
		id := p.signUp("pw@example.com", "old-password")
		c, _ := p.signIn("pw@example.com", "old-password")
		p.wantGate("before (now cached)", cookieHeader(c), "")

		if _, err := p.admin.Users().SetUserPassword(ctx, id, "new-password"); err != nil {
			t.Fatal(err)
		}
		checkError(t, p.do("POST", "/v1/account/sessions/email", `{"email":"pw@example.com","password":"old-password"}`, nil),
			401, "user_invalid_credentials", "")
		c2, _ := p.signIn("pw@example.com", "new-password")
		p.wantGate("signed in with the new password", cookieHeader(c2), "")
		if revoke {
			p.wantGate("the old session, sessions revoked", cookieHeader(c), core.ErrGeneralUnauthorizedScope)
		} else {
			p.wantGate("the old session, sessions kept", cookieHeader(c), "")
		}

		_, err := p.admin.Users().SetUserPassword(ctx, id, "short")
		wantType(t, "a short password", err, core.ErrGeneralArgumentInvalid)
		_, err = p.admin.Users().SetUserPassword(ctx, "nobody", "long-enough")
		wantType(t, "an unknown user", err, core.ErrUserNotFound)
	}
}

// TestAdminListUsers: pages in creation order with a cursor.
func TestAdminListUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	var ids []string
	for _, email := range []string{"c@example.com", "a@example.com", "b@example.com"} {
		ids = append(ids, e.signUp(email, "password123"))
		e.clock.Advance(time.Second)
	}
	first, err := e.svc.Users().ListUsers(ctx, "", 2)
	if err != nil || len(first) != 2 || first[0].ID != ids[0] || first[1].ID != ids[1] {
		t.Fatalf("first page: %v %v", err, first)
	}
	rest, err := e.svc.Users().ListUsers(ctx, first[1].ID, 2)
	if err != nil || len(rest) != 1 || rest[0].ID != ids[2] || rest[0].Email != "b@example.com" {
		t.Fatalf("second page: %v %v", err, rest)
	}
	for _, limit := range []int{0, -1, usersapi.MaxListUsers + 1} {
		_, err := e.svc.Users().ListUsers(ctx, "", limit)
		wantType(t, "limit", err, core.ErrGeneralArgumentInvalid)
	}
	_, err = e.svc.Users().ListUsers(ctx, "nobody", 10)
	wantType(t, "unknown cursor", err, core.ErrUserNotFound)
}

// TestAdminWaitsForTheChannel: while the revocation channel is down, a
// tool is told its changes would not reach the other instances.
func TestAdminWaitsForTheChannel(t *testing.T) {
	t.Parallel()
	b := &bus{}
	e := newEnv(t, func(c *core.Config) { c.Revocations = b })
	if e.svc.BroadcastReady() {
		t.Fatal("ready with the channel down")
	}
	if err := e.svc.WaitBroadcastReady(context.Background(), 50*time.Millisecond); err == nil {
		t.Fatal("no error with the channel down")
	}
	b.healthy.Store(true)
	if err := e.svc.WaitBroadcastReady(context.Background(), time.Second); err != nil {
		t.Fatal(err)
	}
	if alone := newEnv(t, nil); !alone.svc.BroadcastReady() {
		t.Fatal("one instance without a channel is not ready")
	}
}

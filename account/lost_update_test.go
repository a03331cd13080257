package account_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/accountgate/accountgate/account/core"
)

// hookStore runs a hook once, right after the next UserByEmail or
// UserByID read outside a transaction: it lands a concurrent request
// exactly between a handler's read and its write.
type hookStore struct {
	core.Store
	hook atomic.Pointer[func()]
}

// arm sets the hook for the next read.
func (h *hookStore) arm(f func()) { h.hook.Store(&f) }

func (h *hookStore) fire() {
	if f := h.hook.Swap(nil); f != nil {
		(*f)()
	}
}

func (h *hookStore) UserByEmail(ctx context.Context, email string) (*core.User, error) {
	u, err := h.Store.UserByEmail(ctx, email)
	h.fire()
	return u, err
}

func (h *hookStore) UserByID(ctx context.Context, id string) (*core.User, error) {
	u, err := h.Store.UserByID(ctx, id)
	h.fire()
	return u, err
}

// newHookedEnv is a delivery env whose service reads through a hookStore.
func newHookedEnv(t *testing.T) (*env, *outbox, *hookStore) {
	var hs *hookStore
	e, box := newDeliveryEnv(t, func(c *core.Config) {
		hs = &hookStore{Store: c.Store}
		c.Store = hs
	})
	return e, box, hs
}

// inParallel runs f in its own goroutine and waits for it: the request it
// sends is another client's, served while the hooked one is suspended.
func inParallel(f func()) {
	var wg sync.WaitGroup
	wg.Go(f)
	wg.Wait()
}

// TestHashUpgradeKeepsBlock: a block that lands between a sign-in's read
// and its password-hash upgrade stays; the upgrade happens too.
func TestHashUpgradeKeepsBlock(t *testing.T) {
	t.Parallel()
	e, _, hs := newHookedEnv(t)
	id := e.signUp("up@example.com", "password123")
	c, _ := e.signIn("up@example.com", "password123")
	// An imported hash at another cost is upgraded at the next sign-in.
	old := core.HashPassword(core.PasswordConfig{Memory: 32, Time: 1, Threads: 1}, "password123")
	e.editUser(id, func(u *core.User) { u.PasswordHash = old })
	hs.arm(func() {
		inParallel(func() {
			if r := e.do("PATCH", "/v1/account/status", "", cookieHeader(c)); r.status != 200 {
				t.Errorf("block: %d %s", r.status, r.body)
			}
		})
	})
	e.do("POST", "/v1/account/sessions/email", `{"email":"up@example.com","password":"password123"}`, nil)
	u, err := e.store.UserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if u.Status {
		t.Error("the hash upgrade undid the block")
	}
	if u.PasswordHash == old || !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash not upgraded: %s", u.PasswordHash)
	}
}

// TestRecoveryVersusEmailChange: an email change that lands while a
// recovery is under way voids the recovery link (sent to the old address)
// and is not undone by it.
func TestRecoveryVersusEmailChange(t *testing.T) {
	t.Parallel()

	t.Run("Interleaved", func(t *testing.T) {
		t.Parallel()
		e, box, hs := newHookedEnv(t)
		id := e.signUp("a@example.com", "password123")
		c, _ := e.signIn("a@example.com", "password123")
		if r := e.do("POST", "/v1/account/recovery", `{"email":"a@example.com","url":"http://localhost/recovery"}`, nil); r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		_, q := linkParams(t, box.waitMail(t, 1))
		// The recovery's first read is of the user it names.
		hs.arm(func() {
			inParallel(func() {
				if r := e.do("PATCH", "/v1/account/email", `{"email":"b@example.com","password":"password123"}`, cookieHeader(c)); r.status != 200 {
					t.Errorf("email change: %d %s", r.status, r.body)
				}
			})
		})
		checkError(t, e.do("PUT", "/v1/account/recovery", recoveryBody(q, "stolen1234"), nil), 401, "user_invalid_token", "")
		u, err := e.store.UserByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "b@example.com" || u.EmailVerification {
			t.Errorf("after the race: email %q verified %v; want b@example.com unverified", u.Email, u.EmailVerification)
		}
		e.signIn("b@example.com", "password123")
	})

	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		e, box := newDeliveryEnv(t, nil)
		for round := range 4 {
			from, to := fmt.Sprintf("r%d@example.com", round), fmt.Sprintf("s%d@example.com", round)
			id := e.signUp(from, "password123")
			c, _ := e.signIn(from, "password123")
			if r := e.do("POST", "/v1/account/recovery", `{"email":"`+from+`","url":"http://localhost/recovery"}`, nil); r.status != 201 {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			_, q := linkParams(t, box.waitMail(t, round+1))
			var recovery, change response
			start := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() { <-start; recovery = e.do("PUT", "/v1/account/recovery", recoveryBody(q, "recovered1"), nil) })
			wg.Go(func() {
				<-start
				change = e.do("PATCH", "/v1/account/email", `{"email":"`+to+`","password":"password123"}`, cookieHeader(c))
			})
			close(start)
			wg.Wait()
			u, err := e.store.UserByID(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case change.status == 200 && u.Email != to:
				t.Errorf("round %d: the email change was lost: %q", round, u.Email)
			case change.status == 200 && u.EmailVerification:
				t.Errorf("round %d: %s reads as verified by a link sent to %s", round, to, from)
			case change.status != 200 && change.status != 401:
				// 401: the recovery won and ended the session first.
				t.Errorf("round %d: email change: %d %s", round, change.status, change.body)
			}
			switch recovery.status {
			case 200:
				if change.status == 200 {
					e.signIn(to, "recovered1")
				} else {
					e.signIn(from, "recovered1")
				}
			case 401:
				if change.status != 200 {
					t.Errorf("round %d: both refused: %s / %s", round, recovery.body, change.body)
				}
				e.signIn(to, "password123")
			default:
				t.Errorf("round %d: recovery: %d %s", round, recovery.status, recovery.body)
			}
		}
	})
}

// TestTwoRecoveriesOneToken: of concurrent recoveries with one link,
// exactly one sets its password.
func TestTwoRecoveriesOneToken(t *testing.T) {
	t.Parallel()
	e, box := newDeliveryEnv(t, nil)
	e.signUp("two@example.com", "password123")
	if r := e.do("POST", "/v1/account/recovery", `{"email":"two@example.com","url":"http://localhost/recovery"}`, nil); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	_, q := linkParams(t, box.waitMail(t, 1))
	const n = 6
	got := make([]response, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			got[i] = e.do("PUT", "/v1/account/recovery", recoveryBody(q, fmt.Sprintf("password-%d", i)), nil)
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, r := range got {
		if r.status == 200 {
			if winner >= 0 {
				t.Fatalf("recoveries %d and %d both succeeded", winner, i)
			}
			winner = i
			continue
		}
		checkError(t, r, 401, "user_invalid_token", "")
	}
	if winner < 0 {
		t.Fatal("no recovery succeeded")
	}
	for i := range n {
		r := e.do("POST", "/v1/account/sessions/email", fmt.Sprintf(`{"email":"two@example.com","password":"password-%d"}`, i), nil)
		if (r.status == 201) != (i == winner) {
			t.Errorf("sign-in with recovery %d's password: %d (winner %d)", i, r.status, winner)
		}
	}
}

// TestPasswordProofChecksHashUnderLock: a password proof made before the
// write (argon2 runs stay outside the lock) counts only if the hash it
// was made against is still the user's when the change is written.
func TestPasswordProofChecksHashUnderLock(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// meanwhile is the concurrent change, as the new password.
		meanwhile string
		want      int
	}{
		// A re-hash of the same password: the proof is made again, and holds.
		{"SamePasswordRehashed", "password123", 200},
		// Another password: the old one proves nothing any more.
		{"PasswordChanged", "changed1234", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, _, hs := newHookedEnv(t)
			id := e.signUp("pp@example.com", "password123")
			c, _ := e.signIn("pp@example.com", "password123")
			// Cached now: the next read of the user is the handler's own.
			e.do("GET", "/v1/account", "", cookieHeader(c))
			hs.arm(func() {
				hash := core.HashPassword(core.PasswordConfig{Memory: 32, Time: 1, Threads: 1}, tc.meanwhile)
				e.editUser(id, func(u *core.User) { u.PasswordHash = hash })
			})
			r := e.do("PATCH", "/v1/account/password", `{"password":"newpassword1","oldPassword":"password123"}`, cookieHeader(c))
			if r.status != tc.want {
				t.Fatalf("password change: %d %s, want %d", r.status, r.body, tc.want)
			}
			if tc.want == 200 {
				e.signIn("pp@example.com", "newpassword1")
			} else {
				e.signIn("pp@example.com", tc.meanwhile)
			}
		})
	}
}

// TestPasswordProofGivesUp: a hash that changes under every attempt ends
// in 503 general_server_busy after a few tries, not in a loop or a write
// on a stale proof.
func TestPasswordProofGivesUp(t *testing.T) {
	t.Parallel()
	e, _, hs := newHookedEnv(t)
	id := e.signUp("busy@example.com", "password123")
	c, _ := e.signIn("busy@example.com", "password123")
	e.do("GET", "/v1/account", "", cookieHeader(c))
	var reads atomic.Int32
	var rehash func()
	rehash = func() {
		reads.Add(1)
		hash := core.HashPassword(core.PasswordConfig{Memory: 32, Time: 1, Threads: 1}, "password123")
		e.editUser(id, func(u *core.User) { u.PasswordHash = hash })
		hs.arm(rehash)
	}
	hs.arm(rehash)
	r := e.do("PATCH", "/v1/account/email", `{"email":"new@example.com","password":"password123"}`, cookieHeader(c))
	hs.hook.Store(nil)
	checkError(t, r, 503, "general_server_busy", "")
	if n := reads.Load(); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
	e.signIn("busy@example.com", "password123")
}

package account

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
)

// limitStore knows one user and their session and nothing else; any
// other call panics (benchStore). The requests of these tests are refused
// from their parameters, before anything else is read.
type limitStore struct {
	benchStore
	user *core.User
	sess *core.Session
}

func (l limitStore) SessionBySecretHash(_ context.Context, hash []byte) (*core.Session, error) {
	if !bytes.Equal(hash, l.sess.SecretHash) {
		return nil, core.ErrNotFound
	}
	s := *l.sess
	return &s, nil
}

func (l limitStore) MFAOf(context.Context, string) (*core.MFAState, error) {
	return nil, core.ErrNotFound
}

func (l limitStore) UserByID(_ context.Context, id string) (*core.User, error) {
	if id != l.user.ID {
		return nil, core.ErrNotFound
	}
	u := *l.user
	return &u, nil
}

func (l limitStore) UserByEmail(context.Context, string) (*core.User, error) {
	return nil, core.ErrNotFound
}

// limitService is a service over limitStore with one hashing slot, held
// by the test (a request that asks for it gets 503 after 50 ms), and one
// signed-in session.
// heldByTest is the slot request limitService makes itself.
const heldByTest = 1

func limitService(t *testing.T) (*Service, string) {
	t.Helper()
	now := time.Now()
	// Seen just now: the API records no access (TouchUser) for the user.
	user := &core.User{ID: "65f1a2b3c4d5e6f7a8b9", Email: "ann@example.com", Status: true, PasswordUpdate: now, PasswordHash: "$argon2id$x", AccessedAt: now}
	h := core.HashSecret(benchSecret)
	sess := &core.Session{ID: "65f1a2b3c4d5e6f7a8c0", UserID: user.ID, Provider: "email", Expire: now.Add(time.Hour), SecretHash: h[:]}
	s, err := New(context.Background(), core.Config{
		ProjectID:  "limits",
		Store:      limitStore{user: user, sess: sess},
		Secret:     []byte("0123456789abcdef0123456789abcdef"),
		PublicURL:  "http://localhost:8080",
		Password:   core.PasswordConfig{Memory: 64, Time: 1, Threads: 1, Concurrency: 1, Wait: 50 * time.Millisecond},
		RateLimits: core.RateLimitConfig{Off: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.hasher.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.hasher.Release)
	return s, s.api.CookieName() + "=" + benchCookieValue()
}

func (s *Service) serveTest(method, path, contentType, body, cookie string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://localhost:8080"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	rec := httptest.NewRecorder()
	s.APIHandler().ServeHTTP(rec, req)
	return rec
}

// TestLongPasswordsRefusedBeforeHashing: every route that takes a
// password refuses one over 256 bytes with 400 before asking for a
// hashing slot.
func TestLongPasswordsRefusedBeforeHashing(t *testing.T) {
	s, cookie := limitService(t)
	long := strings.Repeat("p", httpapi.MaxPasswordBytes+1)
	const tooLong = "Password must be between 8 and 256 characters long."
	for _, tc := range []struct {
		method, path, body, param string
		signedIn                  bool
	}{
		{"POST", "/v1/account", `{"userId":"unique()","email":"a@example.com","password":"` + long + `"}`, "password", false},
		{"POST", "/v1/account/sessions/email", `{"email":"a@example.com","password":"` + long + `"}`, "password", false},
		{"POST", "/v1/account/sessions", `{"email":"a@example.com","password":"` + long + `"}`, "password", false},
		{"PATCH", "/v1/account/password", `{"password":"` + long + `","oldPassword":"password123"}`, "password", true},
		{"PATCH", "/v1/account/password", `{"password":"password123","oldPassword":"` + long + `"}`, "oldPassword", true},
		{"PATCH", "/v1/account/email", `{"email":"b@example.com","password":"` + long + `"}`, "password", true},
		{"PATCH", "/v1/account/phone", `{"phone":"+15555550100","password":"` + long + `"}`, "password", true},
		{"PUT", "/v1/account/recovery", `{"userId":"u1","secret":"s","password":"` + long + `","passwordAgain":"` + long + `"}`, "password", false},
	} {
		t.Run(tc.method+" "+tc.path+" "+tc.param, func(t *testing.T) {
			c := ""
			if tc.signedIn {
				c = cookie
			}
			before := s.hasher.Attempts()
			rec := s.serveTest(tc.method, tc.path, "application/json", tc.body, c)
			want := `"Invalid ` + tc.param + `: ` + tooLong + `"`
			if rec.Code != 400 || !strings.Contains(rec.Body.String(), want) {
				t.Fatalf("%d %s, want 400 with %s", rec.Code, rec.Body.String(), want)
			}
			if n := s.hasher.Attempts() - before; n != 0 {
				t.Fatalf("%d requests for a hashing slot", n)
			}
		})
	}
	// 256 bytes is still a password.
	if err := httpapi.CheckPasswordLength("password", core.DescPassword, long[1:]); err != nil {
		t.Fatalf("a 256-byte password was refused: %v", err)
	}
}

// TestManyHugePasswordSignIns is the memory attack of issue 11: 200
// concurrent sign-ins with 1 MiB passwords. Each is refused with 400 from
// its parameters, none waits for (or runs) argon2, so memory is bounded
// by the request bodies alone; bodies over the limit are refused unread.
func TestManyHugePasswordSignIns(t *testing.T) {
	s, _ := limitService(t)

	// A JSON body just under the 1 MiB limit, and a form body.
	huge := strings.Repeat("x", httpapi.MaxBodyBytes-100)
	bodies := []struct{ contentType, body string }{
		{"application/json", `{"email":"victim@example.com","password":"` + huge + `"}`},
		{"application/x-www-form-urlencoded", "email=victim%40example.com&password=" + huge},
	}
	const n = 200
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := bodies[i%2]
			codes[i] = s.serveTest("POST", "/v1/account/sessions/email", b.contentType, b.body, "").Code
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusBadRequest {
			t.Fatalf("request %d: %d, want 400", i, c)
		}
	}
	if a := s.hasher.Attempts() - heldByTest; a != 0 {
		t.Fatalf("%d requests reached the hasher", a)
	}

	// Over the body limit: refused before parsing, before hashing.
	over := `{"email":"victim@example.com","password":"` + strings.Repeat("x", httpapi.MaxBodyBytes) + `"}`
	rec := s.serveTest("POST", "/v1/account/sessions/email", "application/json", over, "")
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "Request body is too large") {
		t.Fatalf("body over the limit: %d %s", rec.Code, rec.Body.String())
	}
	if a := s.hasher.Attempts() - heldByTest; a != 0 {
		t.Fatalf("%d requests reached the hasher", a)
	}
}

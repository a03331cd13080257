package verify

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// countingStore knows one user with one session and counts the session
// reads, so a test sees whether the cache answered.
type countingStore struct {
	benchStore
	user  *core.User
	sess  *core.Session
	mfa   *core.MFAState
	reads atomic.Int32
}

func (c *countingStore) SessionBySecretHash(_ context.Context, hash []byte) (*core.Session, error) {
	c.reads.Add(1)
	if string(hash) != string(c.sess.SecretHash) {
		return nil, core.ErrNotFound
	}
	s := *c.sess
	return &s, nil
}

func (c *countingStore) SessionByID(_ context.Context, id string) (*core.Session, error) {
	c.reads.Add(1)
	if id != c.sess.ID {
		return nil, core.ErrNotFound
	}
	s := *c.sess
	return &s, nil
}

func (c *countingStore) UserByID(_ context.Context, id string) (*core.User, error) {
	if id != c.user.ID {
		return nil, core.ErrNotFound
	}
	u := *c.user
	return &u, nil
}

func (c *countingStore) MFAOf(context.Context, string) (*core.MFAState, error) {
	if c.mfa == nil {
		return nil, core.ErrNotFound
	}
	return c.mfa, nil
}

func (c *countingStore) SessionFactors(context.Context, string) ([]string, time.Time, error) {
	return nil, time.Time{}, nil
}

func testVerifier(t *testing.T) (*Verifier, *countingStore, *http.Request) {
	t.Helper()
	now := time.Now()
	h := core.HashSecret(benchSecret)
	st := &countingStore{
		user: &core.User{ID: "u1", Email: "ann@example.com", Status: true, PasswordHash: "$argon2id$x"},
		sess: &core.Session{ID: "s1", UserID: "u1", Provider: "email", Expire: now.Add(time.Hour), SecretHash: h[:]},
	}
	v := New(Config{Store: st, Secrets: [][]byte{[]byte("0123456789abcdef0123456789abcdef")}, CookieName: "a_session_p",
		CacheSize: 10, CacheTTL: time.Minute, Now: time.Now, Log: slog.New(slog.DiscardHandler)})
	r := httptest.NewRequest("GET", "http://localhost/app", nil)
	r.Header.Set("Cookie", "a_session_p="+url.QueryEscape(EncodeToken("u1", benchSecret)))
	return v, st, r
}

// TestVerifierCachesUntilRevoked: a verified session is served from the
// cache without its password hash, and a revocation of the session or
// its user, or a resync, sends the next request to the store again.
func TestVerifierCachesUntilRevoked(t *testing.T) {
	v, st, r := testVerifier(t)
	for range 2 {
		p, e := v.Gate(r)
		if e != nil || p.User.ID != "u1" || p.Session.ID != "s1" || p.User.PasswordHash != "" {
			t.Fatalf("Gate = %+v, %v", p, e)
		}
	}
	if n := st.reads.Load(); n != 1 {
		t.Fatalf("%d store reads for two requests, want 1", n)
	}
	for i, revoke := range []func(){
		func() { v.Drop(core.Revocation{SessionID: "s1", UserID: "u1"}) },
		func() { v.Drop(core.Revocation{SessionID: "s1"}) },
		func() { v.Drop(core.Revocation{UserID: "u1"}) },
		v.Resync,
	} {
		before := st.reads.Load()
		revoke()
		if _, e := v.Gate(r); e != nil {
			t.Fatal(e)
		}
		if st.reads.Load() != before+1 {
			t.Errorf("revocation %d: the cache still answered", i)
		}
	}
	// Another session's revocation leaves this one cached.
	before := st.reads.Load()
	v.Drop(core.Revocation{SessionID: "other", UserID: "u1"})
	v.Gate(r)
	if st.reads.Load() != before {
		t.Error("dropping another session dropped this one")
	}
}

// TestVerifierHalfSignedIn: a session of an account with MFA on that has
// proved one factor is refused at the gate and never cached.
func TestVerifierHalfSignedIn(t *testing.T) {
	v, st, r := testVerifier(t)
	st.mfa = &core.MFAState{UserID: "u1", Enabled: true}
	for range 2 {
		if _, e := v.Gate(r); e == nil || e.Type != core.ErrUserMoreFactorsRequired {
			t.Fatalf("Gate error = %v, want %s", e, core.ErrUserMoreFactorsRequired)
		}
	}
	if n := st.reads.Load(); n != 2 {
		t.Errorf("%d store reads, want 2: a half-signed-in session must not be cached", n)
	}
}

// TestVerifierJWT: a JWT this verifier signed resolves to its session,
// one signed under a previous secret still does, and a foreign Bearer
// token at the gate is left to the upstream.
func TestVerifierJWT(t *testing.T) {
	v, _, _ := testVerifier(t)
	now := time.Now()
	old := New(Config{Secrets: [][]byte{[]byte("an older secret, rotated away...")}})
	rotated := New(Config{Store: v.cfg.Store, Secrets: [][]byte{[]byte("a brand new secret after rotate"), []byte("an older secret, rotated away...")},
		CookieName: "a_session_p", CacheSize: 10, CacheTTL: time.Minute, Now: time.Now, Log: slog.New(slog.DiscardHandler)})
	for name, tc := range map[string]struct {
		signer, verifier *Verifier
	}{"current": {v, v}, "previous secret": {old, rotated}} {
		tok, err := tc.signer.SignJWT("u1", "s1", now, JWTLifetime)
		if err != nil {
			t.Fatal(err)
		}
		p, err := tc.verifier.JWT(context.Background(), tok)
		if err != nil || p == nil || p.Session.ID != "s1" || !p.ViaJWT {
			t.Errorf("%s: JWT = %+v, %v", name, p, err)
		}
	}
	r := httptest.NewRequest("GET", "http://localhost/app", nil)
	r.Header.Set("Authorization", "Bearer not.a.jwt")
	if _, e := v.Gate(r); e == nil || e.Type != core.ErrGeneralUnauthorizedScope {
		t.Errorf("foreign Bearer token: %v, want a guest", e)
	}
}

// TestVerifierListeners: the listeners hear every revocation Drop
// applies and every Resync.
func TestVerifierListeners(t *testing.T) {
	v, _, _ := testVerifier(t)
	var got []core.Revocation
	resyncs := 0
	v.OnRevocation(func(r core.Revocation) { got = append(got, r) }, func() { resyncs++ })
	v.OnRevocation(nil, nil)
	v.Drop(core.Revocation{SessionID: "s1", UserID: "u1"})
	v.Drop(core.Revocation{AssertionKeys: true})
	v.Resync()
	if len(got) != 2 || got[0].SessionID != "s1" || !got[1].AssertionKeys || resyncs != 1 {
		t.Errorf("heard %+v and %d resyncs", got, resyncs)
	}
}

package oauth

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"golang.org/x/oauth2"
)

// impostorID is a client id that startMock's middleware maps onto the
// mock's own client, so the mock issues tokens for another audience.
const impostorID = "impostor-client"

func startMock(t *testing.T) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	err = m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ParseForm() == nil && r.Form.Get("client_id") == impostorID {
				r.Form.Set("client_id", m.ClientID)
				r.Form.Set("client_secret", m.ClientSecret)
			}
			next.ServeHTTP(w, r)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	return m
}

// authorize follows the authorize URL like a browser would, without
// following the redirect back, and returns the code.
func authorize(t *testing.T, authURL, wantState string) string {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: status %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Query().Get("state"); got != wantState {
		t.Fatalf("callback state = %q, want %q", got, wantState)
	}
	return loc.Query().Get("code")
}

func TestGenericOIDC(t *testing.T) {
	m := startMock(t)
	cfg := m.Config()
	c := mustClient(t, "oidc", Settings{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Issuer: cfg.Issuer})
	ctx := context.Background()

	verifier := oauth2.GenerateVerifier()
	raw, err := c.AuthCodeURL(context.Background(), "st-1", "nonce-1", verifier, []string{"groups"})
	if err != nil {
		t.Fatal(err)
	}
	q := mustQuery(t, raw)
	if q.Get("nonce") != "nonce-1" || q.Get("scope") != "openid profile email groups" ||
		q.Get("code_challenge") != oauth2.S256ChallengeFromVerifier(verifier) {
		t.Errorf("authorize URL = %s", raw)
	}
	tok, id, err := c.Exchange(ctx, authorize(t, raw, "st-1"), verifier, "nonce-1")
	if err != nil {
		t.Fatal(err)
	}
	want := Identity{ID: "1234567890", Email: "jane.doe@example.com", Name: "jane.doe", EmailVerified: true}
	if id != want {
		t.Errorf("identity = %+v, want %+v", id, want)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Errorf("token = %+v", tok)
	}
	rt, err := c.Refresh(ctx, tok.RefreshToken)
	if err != nil || rt.AccessToken == "" || rt.RefreshToken == "" {
		t.Errorf("refresh: %+v, %v", rt, err)
	}

	// A user whose ID token has no email: the userinfo endpoint is asked
	// (mockoidc's userinfo carries the address but no email_verified).
	m.QueueUser(&mockoidc.MockUser{Subject: "u-2", PreferredUsername: "bob"})
	raw, _ = c.AuthCodeURL(context.Background(), "st-2", "nonce-2", verifier, nil)
	if _, id, err = c.Exchange(ctx, authorize(t, raw, "st-2"), verifier, "nonce-2"); err != nil {
		t.Fatal(err)
	}
	if id != (Identity{ID: "u-2", Name: "bob"}) {
		t.Errorf("identity without email = %+v", id)
	}

	// Nonce mismatch.
	raw, _ = c.AuthCodeURL(context.Background(), "st-3", "nonce-3", verifier, nil)
	if _, _, err := c.Exchange(ctx, authorize(t, raw, "st-3"), verifier, "another-nonce"); !errors.Is(err, ErrIDToken) {
		t.Errorf("nonce mismatch: err = %v, want ErrIDToken", err)
	}

	// Wrong audience: the mock issues the token for its own client id.
	other := mustClient(t, "oidc", Settings{ClientID: impostorID, ClientSecret: "x", Issuer: cfg.Issuer})
	raw, _ = other.AuthCodeURL(context.Background(), "st-4", "nonce-4", verifier, nil)
	if _, _, err := other.Exchange(ctx, authorize(t, raw, "st-4"), verifier, "nonce-4"); !errors.Is(err, ErrIDToken) {
		t.Errorf("wrong audience: err = %v, want ErrIDToken", err)
	} else {
		t.Logf("wrong audience: %v", err)
	}

	// Wrong issuer setting: discovery reports a different issuer.
	bad := mustClient(t, "oidc", Settings{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Issuer: cfg.Issuer + "/"})
	if _, err := bad.AuthCodeURL(context.Background(), "st", "n", verifier, nil); err == nil {
		t.Error("issuer mismatch in discovery must fail")
	}
}

func TestOIDCDiscoveryIsLazyAndRetried(t *testing.T) {
	m := startMock(t)
	cfg := m.Config()
	m.QueueError(&mockoidc.ServerError{Code: http.StatusServiceUnavailable, Error: "down"})
	c := mustClient(t, "oidc", Settings{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Issuer: cfg.Issuer})
	if _, err := c.AuthCodeURL(context.Background(), "st", "n", oauth2.GenerateVerifier(), nil); err == nil {
		t.Fatal("discovery against a failing provider must fail")
	}
	if _, err := c.AuthCodeURL(context.Background(), "st", "n", oauth2.GenerateVerifier(), nil); err != nil {
		t.Fatalf("discovery must be retried: %v", err)
	}
}

// TestDiscoveryTakesRequestContext: discovery runs under the caller's
// context, so a sign-in whose client went away stops waiting for a
// provider that hangs, instead of holding on for DefaultTimeout.
func TestDiscoveryTakesRequestContext(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // a provider that never answers
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	c := mustClient(t, "oidc", Settings{ClientID: "id", ClientSecret: "s", Issuer: srv.URL})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.AuthCodeURL(ctx, "st", "n", oauth2.GenerateVerifier(), nil)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("AuthCodeURL: %v, want the context's deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("AuthCodeURL returned after %v, not when its context ended", d)
	}
	// The failure is not cached: a live context gets its own try.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	if _, err := c.AuthCodeURL(ctx2, "st", "n", oauth2.GenerateVerifier(), nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second AuthCodeURL: %v", err)
	}
}

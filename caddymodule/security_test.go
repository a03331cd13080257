package caddymodule

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/accountgate/accountgate/account/verify"
)

// jwt returns a JWT of the fixture's session.
func (f *gateFixture) jwt(t *testing.T) string {
	t.Helper()
	req := httptest.NewRequest("POST", "http://localhost/v1/account/jwt", nil)
	req.Header.Set("Cookie", f.cookie)
	rec := httptest.NewRecorder()
	f.api.ServeHTTP(rec, req)
	var body struct{ JWT string }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.JWT == "" {
		t.Fatalf("JWT: %d %s", rec.Code, rec.Body.String())
	}
	return body.JWT
}

// TestGateRefusesCrossSiteCookieWrites: the session cookie is
// SameSite=None, so the gate itself must refuse another site's writes
// that the cookie authenticates, before the upstream sees them.
func TestGateRefusesCrossSiteCookieWrites(t *testing.T) {
	f := newGateFixture(t, Gate{})
	jwt := f.jwt(t)
	const form = "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name    string
		method  string
		url     string
		headers map[string]string
		pass    bool
	}{
		{"cross-site form post", "POST", "http://localhost/transfer", map[string]string{"Cookie": f.cookie, "Origin": "https://evil.test"}, false},
		{"origin null", "POST", "http://localhost/transfer", map[string]string{"Cookie": f.cookie, "Origin": "null"}, false},
		{"origin null, same-site fetch", "POST", "http://localhost/transfer", map[string]string{"Cookie": f.cookie, "Origin": "null", "Sec-Fetch-Site": "same-site"}, false},
		{"origin null, same-origin fetch", "POST", "http://localhost/transfer", map[string]string{"Cookie": f.cookie, "Origin": "null", "Sec-Fetch-Site": "same-origin"}, true},
		{"no origin, foreign referer", "POST", "http://localhost/transfer", map[string]string{"Cookie": f.cookie, "Referer": "https://evil.test/x"}, false},
		{"no origin, unparsable referer", "POST", "http://localhost/transfer", map[string]string{"Cookie": f.cookie, "Referer": "::"}, false},
		{"no origin nor referer, cross-site fetch", "DELETE", "http://localhost/item", map[string]string{"Cookie": f.cookie, "Sec-Fetch-Site": "cross-site"}, false},
		{"legacy cookie, cross-site", "PUT", "http://localhost/item", map[string]string{"Cookie": strings.Replace(f.cookie, "a_session_p=", "a_session_p_legacy=", 1), "Origin": "https://evil.test"}, false},
		{"PATCH from another port of the host", "PATCH", "http://app.internal:8443/item", map[string]string{"Cookie": f.cookie, "Origin": "http://app.internal:9000"}, false},
		{"same-site post (platform)", "POST", "http://localhost/transfer", map[string]string{"Cookie": f.cookie, "Origin": "http://localhost"}, true},
		{"same-site post (the request's host)", "POST", "http://app.internal:8443/transfer", map[string]string{"Cookie": f.cookie, "Origin": "http://app.internal:8443"}, true},
		{"same-site referer", "POST", "http://app.internal/transfer", map[string]string{"Cookie": f.cookie, "Referer": "http://app.internal/form"}, true},
		{"non-browser client", "POST", "http://localhost/transfer", map[string]string{"Cookie": f.cookie}, true},
		{"cross-site GET", "GET", "http://localhost/page", map[string]string{"Cookie": f.cookie, "Origin": "https://evil.test"}, true},
		{"JWT post", "POST", "http://localhost/transfer", map[string]string{"X-Appwrite-JWT": jwt, "Origin": "https://evil.test"}, true},
		{"JWT post beside the cookie", "POST", "http://localhost/transfer", map[string]string{"Cookie": f.cookie, "X-Appwrite-JWT": jwt, "Origin": "null"}, true},
		{"Bearer JWT post", "POST", "http://localhost/transfer", map[string]string{"Authorization": "Bearer " + jwt, "Origin": "https://evil.test"}, true},
		{"Bearer JWT post beside the cookie", "POST", "http://localhost/transfer", map[string]string{"Cookie": f.cookie, "Authorization": "Bearer " + jwt, "Origin": "https://evil.test"}, true},
		{"X-Fallback-Cookies post", "POST", "http://localhost/transfer", map[string]string{"X-Fallback-Cookies": `{"a_session_p":"` + strings.TrimPrefix(f.cookie, "a_session_p=") + `"}`, "Origin": "https://evil.test"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.url, strings.NewReader("amount=1000"))
			req.Header.Set("Content-Type", form)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			rec := f.serve(req)
			if tc.pass {
				if rec.Code != 200 || f.upstream == nil || f.upstream.Header.Get("X-Account-Id") != f.userID {
					t.Fatalf("refused: %d %s", rec.Code, rec.Body.String())
				}
				return
			}
			if rec.Code != 403 || f.upstream != nil {
				t.Fatalf("%d, upstream reached: %v", rec.Code, f.upstream != nil)
			}
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["type"] != "general_unknown_origin" || body["code"] != float64(403) {
				t.Fatalf("body: %s", rec.Body.String())
			}
		})
	}

	// A browser's refused form post gets a page.
	req := httptest.NewRequest("POST", "http://localhost/transfer", strings.NewReader("amount=1000"))
	req.Header.Set("Content-Type", form)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	req.Header.Set("Cookie", f.cookie)
	req.Header.Set("Origin", "https://evil.test")
	rec := f.serve(req)
	if rec.Code != 403 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") || !strings.Contains(rec.Body.String(), "evil.test") || f.upstream != nil {
		t.Fatalf("browser refusal: %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}

	// csrf off leaves the defence to the app.
	off := newGateFixture(t, Gate{CSRFOff: true})
	req = httptest.NewRequest("POST", "http://localhost/transfer", strings.NewReader("amount=1000"))
	req.Header.Set("Cookie", off.cookie)
	req.Header.Set("Origin", "https://evil.test")
	if rec := off.serve(req); rec.Code != 200 || off.upstream == nil {
		t.Fatalf("csrf off: %d %s", rec.Code, rec.Body.String())
	}
}

// TestGateStripsBearerBesideXAppwriteJWT: our JWT in Authorization goes
// even when X-Appwrite-JWT was the credential used; a foreign Bearer
// token stays for the upstream.
func TestGateStripsBearerBesideXAppwriteJWT(t *testing.T) {
	f := newGateFixture(t, Gate{})
	jwt := f.jwt(t)
	for _, tc := range []struct {
		bearer string
		kept   bool
	}{
		{"Bearer " + jwt, false},
		{"bearer  " + jwt, false},
		{"Bearer the.app's.own", true},
	} {
		req := httptest.NewRequest("GET", "http://localhost/app", nil)
		req.Header.Set("X-Appwrite-JWT", jwt)
		req.Header.Set("Authorization", tc.bearer)
		if rec := f.serve(req); rec.Code != 200 {
			t.Fatalf("%q: %d %s", tc.bearer, rec.Code, rec.Body.String())
		}
		got := f.upstream.Header.Get("Authorization")
		if tc.kept != (got == tc.bearer) || (!tc.kept && got != "") {
			t.Errorf("%q: upstream Authorization %q", tc.bearer, got)
		}
		if f.upstream.Header.Get("X-Appwrite-JWT") != "" {
			t.Errorf("X-Appwrite-JWT reached the upstream")
		}
	}
}

// TestAPIHandlerStripsIdentityEverywhere: account_api removes client
// copies of the identity headers, renamed ones included, on the routes it
// passes on, where no gate runs.
func TestAPIHandlerStripsIdentityEverywhere(t *testing.T) {
	f := newGateFixture(t, Gate{})
	// What Gate.Provision does for a gate that renames the name header.
	slot := newProjectSlot("p")
	slot.registerHeaders(verify.HeaderNames{Name: "X-User-Name"}.WithDefaults())
	slot.set(f.gate.slot.svc.Load())
	h := &APIHandler{Project: "p", slot: slot}
	var seen *http.Request
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		seen = r
		return nil
	})
	req := httptest.NewRequest("GET", "http://localhost/public/page", nil)
	req.Header["X-Account-Id"] = []string{"admin"}
	req.Header["X_Account_Email"] = []string{"admin@example.com"}
	req.Header["X-ACCOUNT-SESSION-PROVIDER"] = []string{"email"}
	req.Header["X-User-Name"] = []string{"Admin"}
	req.Header["X_user_name"] = []string{"Admin"}
	req.Header["X-Kept"] = []string{"yes"}
	if err := h.ServeHTTP(httptest.NewRecorder(), req, next); err != nil || seen == nil {
		t.Fatalf("not passed on: %v", err)
	}
	for k := range seen.Header {
		if k != "X-Kept" {
			t.Errorf("%s reached the next handler", k)
		}
	}
}

// TestTrailersCannotCarryIdentity sends identity and credential headers
// as chunked-body trailers on a raw HTTP/1.1 connection: neither a gated
// route nor a public one beside it lets them reach the next handler.
func TestTrailersCannotCarryIdentity(t *testing.T) {
	f := newGateFixture(t, Gate{})
	api := &APIHandler{Project: "p", slot: f.gate.slot}
	type seen struct {
		body    string
		trailer http.Header
		status  int
	}
	got := make(chan seen, 1)
	// next reads the body, as reverse_proxy does, then looks at the
	// trailers net/http filled in.
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		got <- seen{body: string(b), trailer: r.Trailer.Clone(), status: 200}
		return nil
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Caddy hands handlers a shallow copy with a replacer in its context.
		r = r.WithContext(context.WithValue(r.Context(), caddy.ReplacerCtxKey, caddy.NewReplacer()))
		var err error
		if strings.HasPrefix(r.URL.Path, "/public/") {
			err = api.ServeHTTP(w, r, next)
		} else {
			err = api.ServeHTTP(w, r, caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
				return f.gate.ServeHTTP(w, r, next)
			}))
		}
		if err != nil {
			w.WriteHeader(599)
		}
	}))
	defer srv.Close()

	for _, path := range []string{"/app/upload", "/public/upload"} {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: localhost\r\nCookie: %s\r\nTransfer-Encoding: chunked\r\n"+
			"Trailer: X-Account-Id, X-Account-Email, X-Appwrite-JWT, X-Kept\r\n\r\n"+
			"5\r\nhello\r\n0\r\nX-Account-Id: admin\r\nX_Account_Email: admin@example.com\r\nX-Appwrite-JWT: stolen\r\n"+
			"X-Fallback-Cookies: {}\r\nCookie: a=b\r\nX-Kept: yes\r\n\r\n", path, f.cookie)
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		conn.Close()
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %v %v", path, res, err)
		}
		s := <-got
		if s.body != "hello" {
			t.Fatalf("%s: body %q", path, s.body)
		}
		for k, v := range s.trailer {
			if k != "X-Kept" {
				t.Errorf("%s: trailer %s: %q reached the next handler", path, k, v)
			}
		}
		if s.trailer.Get("X-Kept") != "yes" {
			t.Errorf("%s: other trailers must pass: %v", path, s.trailer)
		}
	}
}

// TestGateForwardsStoredControlCharacters: a name (or phone) with control
// characters that reached the store some other way still goes upstream
// through a real transport, which refuses invalid header values: the
// gate never turns a stored value into a 502.
func TestGateForwardsStoredControlCharacters(t *testing.T) {
	f := newGateFixture(t, Gate{})
	ctx := context.Background()
	u, err := f.store.UserByID(ctx, f.userID)
	if err != nil {
		t.Fatal(err)
	}
	u.Name, u.Phone = "Eve\r\nX-Account-Id: admin\x00\v\x7f", "+1\n555"
	if err := f.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	var upstream http.Header
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { upstream = r.Header.Clone() }))
	defer backend.Close()
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		out, err := http.NewRequest(r.Method, backend.URL+r.URL.Path, nil)
		if err != nil {
			return err
		}
		out.Header = r.Header.Clone()
		res, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			return caddyhttp.Error(http.StatusBadGateway, err)
		}
		res.Body.Close()
		w.WriteHeader(res.StatusCode)
		return nil
	})
	req := httptest.NewRequest("GET", "http://localhost/app", nil)
	req.Header.Set("Cookie", f.cookie)
	req = req.WithContext(context.WithValue(req.Context(), caddy.ReplacerCtxKey, caddy.NewReplacer()))
	rec := httptest.NewRecorder()
	if err := f.gate.ServeHTTP(rec, req, next); err != nil || rec.Code != 200 {
		t.Fatalf("gate: %d %v", rec.Code, err)
	}
	if got := upstream.Values("X-Account-Name"); len(got) != 1 || got[0] != "Eve  X-Account-Id: admin" {
		t.Errorf("X-Account-Name upstream = %q", got)
	}
	if got := upstream.Values("X-Account-Id"); len(got) != 1 || got[0] != f.userID {
		t.Errorf("X-Account-Id upstream = %q", got)
	}
	if got := upstream.Get("X-Account-Phone"); got != "+1 555" {
		t.Errorf("X-Account-Phone upstream = %q", got)
	}
}

package account

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzLogQueries: query strings never panic, and limits stay in range.
func FuzzLogQueries(f *testing.F) {
	for _, q := range []string{"limit(25)", "offset(1)", `limit("5")`, "equal(\"a\", 1)", "limit(", ")(", "limit(99999999999999999999)",
		`{"method":"limit","values":[5]}`, `{"method":"offset","values":["2"]}`, `{"method":"limit","values":[1.5]}`,
		`{"method":"equal","attribute":"provider","values":["github"]}`, `{"method":"limit","values":[]}`, `{"method":`} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		limit, offset, err := parseLogQueries(url.Values{"queries[]": {q}})
		if err == nil && (limit < 0 || limit > maxLogLimit || offset < 0) {
			t.Fatalf("%q gave limit %d offset %d", q, limit, offset)
		}
	})
}

// FuzzOAuthState: only states we signed, with the right nonce, open.
func FuzzOAuthState(f *testing.F) {
	s := &Service{secret: []byte(strings.Repeat("s", 32))}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	good := s.signState(oauthState{Provider: "github", Success: "http://localhost/ok", Failure: "http://localhost/fail",
		Binding: nonceBinding("n"), Expires: now.Add(time.Minute).Unix()})
	f.Add(good, "n")
	f.Add("x.y", "")
	f.Add(good+"x", "n")
	f.Fuzz(func(t *testing.T, raw, nonce string) {
		st, err := s.openState(raw, nonce, now)
		if err == nil && (raw != good || nonce != "n" || st.Provider != "github") {
			t.Fatalf("forged state opened: %q %q", raw, nonce)
		}
	})
}

// FuzzPrefsLength: the escaped length never undercounts the raw bytes.
func FuzzPrefsLength(f *testing.F) {
	f.Add(`{"a":"🍰/é"}`)
	f.Fuzz(func(t *testing.T, s string) {
		// Escaping only grows: every byte, valid UTF-8 or not, counts at
		// least once, so the limit can never be dodged.
		if n := appwriteJSONLen([]byte(s)); n < len(s) {
			t.Fatalf("length %d for %d bytes", n, len(s))
		}
	})
}

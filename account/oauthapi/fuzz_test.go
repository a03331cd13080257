package oauthapi

import (
	"strings"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/domain"
)

// FuzzOAuthState: only states we signed, with the right nonce, open.
func FuzzOAuthState(f *testing.F) {
	s := &OAuth2{domain.Env{Secret: []byte(strings.Repeat("s", 32))}}
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

package verify

import (
	"strings"
	"testing"
	"time"
)

// FuzzJWTVerify: no token, however broken, panics or verifies unless we
// signed it.
func FuzzJWTVerify(f *testing.F) {
	ring := newKeyring([]byte(strings.Repeat("k", 32)))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	good, _ := ring.signFor("u1", "s1", now, JWTLifetime)
	f.Add(good)
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.eyJ1c2VySWQiOiJ4In0.")
	f.Add(strings.Repeat(".", 50))
	f.Fuzz(func(t *testing.T, token string) {
		claims, err := ring.verify(token, now)
		if err == nil && token != good {
			// Re-encodings of the same signed token may verify; a
			// different claim set must not.
			if claims.UserID != "u1" || claims.SessionID != "s1" {
				t.Fatalf("forged token verified: %q", token)
			}
		}
		if err != nil && jwtError(err).Status() != 401 {
			t.Fatalf("bad status for %q", token)
		}
	})
}

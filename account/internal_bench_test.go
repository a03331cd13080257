package account

import (
	"context"
	"net/url"
	"testing"

	"github.com/accountgate/accountgate/account/verify"
)

// benchStore is a Store that only answers what the cache-hit path must
// never ask: any call panics (nil embedded interface), so a test that
// reaches the store by mistake fails loudly.
type benchStore struct{ Store }

// benchSecret is a realistic session secret: 64 hex characters.
const benchSecret = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// The cookie value exactly as cookieWriter.set sends it (URL-encoded).
func benchCookieValue() string {
	return url.QueryEscape(verify.EncodeToken("65f1a2b3c4d5e6f7a8b9", benchSecret))
}

// BenchmarkVerifyRefused measures a refused sign-in's password check at
// the default cost: for an unknown user (the dummy hash), a user with an
// argon2id hash, and users with imported hashes, whose refusal is padded
// to the dummy's cost so that timing tells none of them apart.
func BenchmarkVerifyRefused(b *testing.B) {
	h := newHasher(PasswordConfig{})
	ctx := context.Background()
	for _, tc := range []struct{ name, encoded string }{
		{"unknown_user", ""},
		{"argon2id", h.hashNow("appwrite")},
		{"md5", "$plain-md5$144fa7eaa4904e8ee120651997f70dcc"},
		{"phpass", "$P$Br387rwferoKN7uwHZqNMu98q3U8RO."},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if ok, _, err := h.Verify(ctx, "wrong-password", tc.encoded); ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

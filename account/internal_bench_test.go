package account

import (
	"net/url"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/verify"
)

// benchStore is a Store that only answers what the cache-hit path must
// never ask: any call panics (nil embedded interface), so a test that
// reaches the store by mistake fails loudly.
type benchStore struct{ core.Store }

// benchSecret is a realistic session secret: 64 hex characters.
const benchSecret = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// The cookie value exactly as CookieWriter.set sends it (URL-encoded).
func benchCookieValue() string {
	return url.QueryEscape(verify.EncodeToken("65f1a2b3c4d5e6f7a8b9", benchSecret))
}

package httpapi

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/accountgate/accountgate/account/core"
)

// FuzzResponseFormat: any header value reads as 1.3 (zero) or as a
// version whose three parts are each at most 999.
func FuzzResponseFormat(f *testing.F) {
	for _, v := range []string{"", "1.0.0", "1.4.0", "1.5", "2.3.0-rc.1", "1.4.1000", "x", "1..2", "+1.4.0"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got := ParseFormat(v)
		if got > 999_999_999 {
			t.Fatalf("%q gave %d", v, got)
		}
		if got != 0 && ParseFormat(fmt.Sprintf("%d.%d.%d", got/1_000_000, got/1000%1000, got%1000)) != got {
			t.Fatalf("%q gave %d, which does not read back", v, got)
		}
	})
}

// FuzzLogQueries: query strings never panic, and limits stay in range.
func FuzzLogQueries(f *testing.F) {
	for _, q := range []string{"limit(25)", "offset(1)", `limit("5")`, "equal(\"a\", 1)", "limit(", ")(", "limit(99999999999999999999)",
		`{"method":"limit","values":[5]}`, `{"method":"offset","values":["2"]}`, `{"method":"limit","values":[1.5]}`,
		`{"method":"equal","attribute":"provider","values":["github"]}`, `{"method":"limit","values":[]}`, `{"method":`} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		limit, offset, err := ParseLogQueries(url.Values{"queries[]": {q}})
		if err == nil && (limit < 0 || limit > MaxLogLimit || offset < 0) {
			t.Fatalf("%q gave limit %d offset %d", q, limit, offset)
		}
	})
}

// FuzzPrefsLength: the escaped length never undercounts the raw bytes.
func FuzzPrefsLength(f *testing.F) {
	f.Add(`{"a":"🍰/é"}`)
	f.Fuzz(func(t *testing.T, s string) {
		// Escaping only grows: every byte, valid UTF-8 or not, counts at
		// least once, so the limit can never be dodged.
		if n := core.AppwriteJSONLen([]byte(s)); n < len(s) {
			t.Fatalf("length %d for %d bytes", n, len(s))
		}
	})
}

package verify

import (
	"net/http"
	"strings"
	"testing"

	"github.com/accountgate/accountgate/account/core"
)

func TestStripIdentityHeaders(t *testing.T) {
	hdr := http.Header{}
	// Raw keys as a server may store them: every spelling and duplicates.
	hdr["X-Account-Id"] = []string{"spoof1", "spoof2"}
	hdr["X_account_id"] = []string{"spoof3"}
	hdr["X_Account_ID"] = []string{"spoof4"}
	hdr["x-account-email"] = []string{"spoof@example.com"}
	hdr["X-User-Id"] = []string{"renamed-spoof"}
	hdr["X-Other"] = []string{"keep"}
	names := HeaderNames{ID: "X-User-Id"}.WithDefaults()
	names.Strip(hdr)
	if len(hdr) != 1 || hdr.Get("X-Other") != "keep" {
		t.Fatalf("after Strip: %v", hdr)
	}
	names.Set(hdr, Identity{ID: "u1", Email: "a@example.com", EmailVerified: "true"})
	if hdr.Get("X-User-Id") != "u1" || hdr.Get("X-Account-Email") != "a@example.com" || len(hdr.Values("X-Account-Email-Verified")) != 1 {
		t.Fatalf("after Set: %v", hdr)
	}
	if _, ok := hdr["X-Account-Phone"]; !ok {
		t.Error("empty values must still be set, so a later handler cannot mistake absence")
	}
}

func TestStripCredentials(t *testing.T) {
	s := &Verifier{cfg: Config{CookieName: "a_session_p"}}
	hdr := http.Header{}
	hdr.Add("Cookie", "theme=dark; a_session_p=abc; a_session_p_legacy=abc")
	hdr.Add("Cookie", "A_SESSION_P=x;lang=en")
	hdr.Set("X-Fallback-Cookies", `{"a_session_p":"abc"}`)
	hdr["X_appwrite_session"] = []string{"abc"}
	hdr.Set("X-Keep", "1")
	s.StripCredentials(hdr, nil)
	if got := hdr.Get("Cookie"); got != "theme=dark; lang=en" || len(hdr.Values("Cookie")) != 1 {
		t.Errorf("Cookie = %q", hdr.Values("Cookie"))
	}
	if len(hdr) != 2 || hdr.Get("X-Keep") != "1" {
		t.Errorf("headers left: %v", hdr)
	}
	only := http.Header{"Cookie": {"a_session_p=abc"}}
	s.StripCredentials(only, nil)
	if _, ok := only["Cookie"]; ok {
		t.Errorf("an empty Cookie header must go: %v", only)
	}
}

func TestDecodeSessionToken(t *testing.T) {
	good := EncodeToken("user1", "s3cret")
	for name, tc := range map[string]struct {
		in string
		ok bool
	}{
		"plain":           {good, true},
		"url-encoded":     {strings.ReplaceAll(good, "=", "%3D"), true},
		"unpadded":        {strings.TrimRight(good, "="), true},
		"empty":           {"", false},
		"not base64":      {"!!!", false},
		"json array":      {"WzEsMl0=", false},
		"no secret":       {"eyJpZCI6InUifQ==", false},
		"numbers":         {"eyJpZCI6MSwic2VjcmV0IjoyfQ==", false},
		"bad percent":     {"%zz", false},
		"oversized input": {strings.Repeat("A", 5000), false},
	} {
		tok, ok := DecodeToken(tc.in)
		if ok != tc.ok || (ok && (tok.ID != "user1" || tok.Secret != "s3cret")) {
			t.Errorf("%s: got %+v %v", name, tok, ok)
		}
	}
}

func FuzzDecodeSessionToken(f *testing.F) {
	f.Add(EncodeToken("u", "s"))
	f.Add("%3D%3D")
	f.Add("eyJpZCI6MX0")
	f.Fuzz(func(t *testing.T, in string) {
		tok, ok := DecodeToken(in)
		if ok && (tok.ID == "" || tok.Secret == "") {
			t.Fatalf("accepted an empty id or secret: %+v", tok)
		}
	})
}

func FuzzDecodeFallbackCookies(f *testing.F) {
	f.Add(`{"a_session_p":"abc"}`)
	f.Add(`[]`)
	f.Add(``)
	f.Add(`{"a_session_p":5}`)
	f.Fuzz(func(t *testing.T, in string) {
		v, ok := decodeFallbackCookies(in, "a_session_p")
		if ok && v == "" {
			t.Fatal("ok with an empty value")
		}
	})
}

func FuzzSameHeader(f *testing.F) {
	f.Add("X-Account-Id", "x_account_id")
	f.Fuzz(func(t *testing.T, a, b string) {
		if sameHeader(a, b) != sameHeader(b, a) {
			t.Fatal("not symmetric")
		}
		if strings.EqualFold(strings.ReplaceAll(a, "_", "-"), strings.ReplaceAll(b, "_", "-")) && len(a) == len(b) && !sameHeader(a, b) {
			// Only ASCII folding is intended; EqualFold also folds Unicode.
			for _, c := range a + b {
				if c > 127 {
					return
				}
			}
			t.Fatalf("%q and %q should match", a, b)
		}
	})
}

func TestIdentityNamesOAuthProviders(t *testing.T) {
	u := &core.User{ID: "u", Status: true}
	for provider, want := range map[string]string{"email": "email", "anonymous": "anonymous", "github": "oauth2:github", "oidc": "oauth2:oidc"} {
		p := &Principal{User: u, Session: &SessionRef{ID: "s", Provider: provider}}
		if got := p.Identity().SessionProvider; got != want {
			t.Errorf("%s: %q, want %q", provider, got, want)
		}
	}
}

// FuzzOwnTokenAgrees: the fast decoder never disagrees with the general
// one on what it accepts.
func FuzzOwnTokenAgrees(f *testing.F) {
	f.Add(EncodeToken("u1", "abc"))
	f.Add(strings.ReplaceAll(EncodeToken("u1", "abc"), "=", "%3D"))
	f.Add("eyJpZCI6IngiLCJzZWNyZXQiOiJ5IiwiZXh0cmEiOjF9")
	f.Fuzz(func(t *testing.T, in string) {
		fast, ok := decodeOwnToken(in)
		if !ok {
			return
		}
		slow, ok := decodeAnyToken(in)
		if !ok || fast != slow {
			t.Fatalf("%q: fast %+v, general %+v %v", in, fast, slow, ok)
		}
	})
}

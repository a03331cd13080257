package pages_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/accountgate/accountgate/account/pages"
)

// FuzzCleanReturn: whatever the input, the return path is a path on this
// site: it starts with one slash, names no scheme or host, and a browser
// that drops tabs and newlines and reads "\" as "/" still sees no host.
func FuzzCleanReturn(f *testing.F) {
	for _, s := range []string{"/", "/app?x=1", "//evil", "/\\evil", "/\t/evil", "https://evil/", "/%2F%2Fevil", "/a b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := pages.CleanReturn(in)
		if out != "/" && out != in {
			t.Fatalf("CleanReturn(%q) = %q: neither the input nor /", in, out)
		}
		browser := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(out)
		if !strings.HasPrefix(browser, "/") || strings.HasPrefix(browser, "//") {
			t.Fatalf("CleanReturn(%q) = %q leaves the site", in, out)
		}
		u, err := url.Parse(out)
		if err != nil || u.Host != "" || u.Scheme != "" {
			t.Fatalf("CleanReturn(%q) = %q parses as %v, %v", in, out, u, err)
		}
	})
}

// FuzzFormPost: any form body posted to any page gets an answer below
// 500 and never a redirect off the site. The API behind is a stub that
// refuses everything, so the fuzzer exercises the pages' own parsing.
func FuzzFormPost(f *testing.F) {
	p, err := pages.New(pages.Config{ProjectID: "p", PublicURL: "https://app.example.com", EmailPassword: true, MagicURL: true, Phone: true})
	if err != nil {
		f.Fatal(err)
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.Form.Get("email") == "ok@example.com" {
			w.Write([]byte(`{"$id":"x","userId":"u"}`))
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"message":"Invalid ` + "`email`" + ` param","code":400,"type":"general_argument_invalid"}`))
	})
	for _, s := range []string{"signin|email=ok%40example.com&password=x&return=%2F%2Fevil", "signup|email=a&return=/x",
		"mfa|factor=totp&otp=1", "reset|userId=u&secret=s", "account/session|sessionId=../x", "phone|phone=%2B1&return=%0a"} {
		page, body, _ := strings.Cut(s, "|")
		f.Add(page, body)
	}
	f.Fuzz(func(t *testing.T, page, body string) {
		if !p.Owns("/auth/" + page) {
			return
		}
		r := httptest.NewRequest(http.MethodPost, "https://app.example.com/auth/x", strings.NewReader(body))
		r.URL.Path = "/auth/" + page
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		p.Serve(w, r, api)
		if w.Code >= 500 {
			t.Fatalf("%s %q: %d %s", page, body, w.Code, w.Body)
		}
		if loc := w.Header().Get("Location"); loc != "" && (!strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//")) {
			t.Fatalf("%s %q: redirect to %q", page, body, loc)
		}
	})
}

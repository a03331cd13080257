package account

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReturnPath(t *testing.T) {
	for target, want := range map[string]string{
		"/app/page?x=1":     "/app/page?x=1",
		"//evil.example/x":  "/",
		"/\\evil.example/x": "/%5Cevil.example/x", // escaped, so no host
		"/":                 "/",
	} {
		r := httptest.NewRequest("GET", "http://localhost/", nil)
		r.URL.Path = strings.SplitN(target, "?", 2)[0]
		r.URL.RawQuery = ""
		if i := strings.IndexByte(target, '?'); i >= 0 {
			r.URL.RawQuery = target[i+1:]
		}
		if got := ReturnPath(r); got != want {
			t.Errorf("ReturnPath(%q) = %q, want %q", target, got, want)
		}
	}
}

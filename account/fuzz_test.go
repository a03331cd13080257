package account_test

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzAPI sends arbitrary bodies, cookies and fallback headers to the
// writing routes: every answer must be a well-formed non-5xx response.
func FuzzAPI(f *testing.F) {
	e := newEnv(f, nil)
	f.Add("/v1/account", `{"userId":"unique()","email":"a@example.com","password":"password123"}`, "", "")
	f.Add("/v1/account/sessions/email", `{"email":"a@example.com","password":"password123"}`, "a_session_test=eyJpZCI6MX0", `{"a_session_test":"x"}`)
	f.Add("/v1/account", `{"email":[1,{}]}`, "", "[]")
	f.Add("/v1/account/sessions", `null`, "", "")
	f.Fuzz(func(t *testing.T, path, body, cookie, fallback string) {
		if !strings.HasPrefix(path, "/v1/account") || strings.ContainsAny(path, " ?#%\x00\r\n\t") {
			return
		}
		req := httptest.NewRequest("POST", "http://localhost:8080"+"/v1/account", strings.NewReader(body))
		req.URL.Path = path
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Cookie", cookie)
		req.Header.Set("X-Fallback-Cookies", fallback)
		rec := httptest.NewRecorder()
		e.svc.APIHandler().ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q %q: %s", rec.Code, path, body, rec.Body.String())
		}
	})
}

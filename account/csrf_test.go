package account_test

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCookieWritesNeedOurOrigin: the session cookie is SameSite=None, so a
// write it authenticates must show it comes from a platform; "Origin:
// null" does not, whatever the body's encoding.
func TestCookieWritesNeedOurOrigin(t *testing.T) {
	e := newEnv(t, nil)
	e.signUp("csrf@example.com", "password123")
	cookie, _ := e.signIn("csrf@example.com", "password123")
	jwt := e.do("POST", "/v1/account/jwt", "", cookieHeader(cookie)).json(t)["jwt"].(string)
	const form, json = "application/x-www-form-urlencoded", "application/json"
	const nullMsg = "Invalid Origin. Register your new client (null) as a new Web platform on your project console dashboard"
	for _, tc := range []struct {
		name        string
		contentType string
		headers     map[string]string
		wantStatus  int
		wantMessage string
	}{
		{"cross-site form post", form, map[string]string{"Cookie": cookie, "Origin": "https://evil.test"}, 403,
			"Invalid Origin. Register your new client (evil.test) as a new Web platform on your project console dashboard"},
		{"origin null, form", form, map[string]string{"Cookie": cookie, "Origin": "null"}, 403, nullMsg},
		{"origin null, JSON", json, map[string]string{"Cookie": cookie, "Origin": "null"}, 403, nullMsg},
		{"origin null, same-site fetch", form, map[string]string{"Cookie": cookie, "Origin": "null", "Sec-Fetch-Site": "same-site"}, 403, nullMsg},
		{"origin null, cross-site fetch", form, map[string]string{"Cookie": cookie, "Origin": "null", "Sec-Fetch-Site": "cross-site"}, 403, nullMsg},
		// Chromium's form post from a no-referrer page of our own origin.
		{"origin null, same-origin fetch", form, map[string]string{"Cookie": cookie, "Origin": "null", "Sec-Fetch-Site": "same-origin"}, 201, ""},
		{"no origin, foreign referer", form, map[string]string{"Cookie": cookie, "Referer": "https://evil.test/page"}, 403,
			"Invalid Origin. Register your new client (evil.test) as a new Web platform on your project console dashboard"},
		{"no origin nor referer, cross-site fetch", form, map[string]string{"Cookie": cookie, "Sec-Fetch-Site": "cross-site"}, 403,
			"Invalid Origin. Register your new client ((no origin)) as a new Web platform on your project console dashboard"},
		{"same-site post", form, map[string]string{"Cookie": cookie, "Origin": "http://localhost:8080"}, 201, ""},
		{"platform subdomain", json, map[string]string{"Cookie": cookie, "Origin": "https://app.example.com"}, 201, ""},
		{"same-site referer", form, map[string]string{"Cookie": cookie, "Referer": "http://localhost:8080/app"}, 201, ""},
		// Not a browser: no Origin, Referer or Sec-Fetch-Site.
		{"server-side client", form, map[string]string{"Cookie": cookie}, 201, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := "x=1"
			if tc.contentType == json {
				body = `{"x":1}`
			}
			r := e.doType("POST", "/v1/account/jwt", body, tc.contentType, tc.headers)
			if tc.wantStatus == 201 {
				if r.status != 201 {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				return
			}
			checkError(t, r, tc.wantStatus, "general_unknown_origin", tc.wantMessage)
		})
	}

	// Writes without the cookie keep Appwrite's rule: "null" reads as a
	// missing Origin, so a JWT (which no browser adds by itself) or a
	// sign-in from a sandboxed frame still works.
	r := e.doType("PATCH", "/v1/account/prefs", `{"prefs":{"a":1}}`, json, map[string]string{"X-Appwrite-JWT": jwt, "Origin": "null"})
	if r.status != 200 {
		t.Fatalf("JWT write with Origin null: %d %s", r.status, r.body)
	}
	r = e.doType("POST", "/v1/account/sessions/email", `{"email":"csrf@example.com","password":"password123"}`, json, map[string]string{"Origin": "null"})
	if r.status != 201 {
		t.Fatalf("sign-in with Origin null: %d %s", r.status, r.body)
	}
	// A JWT beside the cookie replaces it, so the cookie authenticates
	// nothing and no extra check applies.
	r = e.doType("PATCH", "/v1/account/prefs", `{"prefs":{"a":2}}`, json, map[string]string{"Cookie": cookie, "X-Appwrite-JWT": jwt, "Origin": "null"})
	if r.status != 200 {
		t.Fatalf("JWT and cookie with Origin null: %d %s", r.status, r.body)
	}
}

// TestMagicURLPageStillSignsIn: the magic-URL page is served with
// Referrer-Policy: no-referrer, so Chromium sends its PUT with "Origin:
// null" and Sec-Fetch-Site: same-origin, with any session cookie the
// browser already holds. That must reach the handler, not the CSRF
// refusal.
func TestMagicURLPageStillSignsIn(t *testing.T) {
	e := newEnv(t, nil)
	e.signUp("page@example.com", "password123")
	cookie, _ := e.signIn("page@example.com", "password123")
	page := e.do("GET", "/auth/magic-url?userId=u&secret=s", "", nil)
	if page.header.Get("Referrer-Policy") != "no-referrer" || !strings.Contains(page.body, `method: "PUT"`) {
		t.Fatalf("the page changed; revisit this test: %s %q", page.header.Get("Referrer-Policy"), page.body)
	}
	body := `{"userId":"nobody","secret":"` + strings.Repeat("ab", 32) + `"}`
	chromium := map[string]string{"Cookie": cookie, "Origin": "null", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"}
	r := e.do("PUT", "/v1/account/sessions/magic-url", body, chromium)
	if r.status == 403 || strings.Contains(r.body, "general_unknown_origin") {
		t.Fatalf("the page's own PUT was refused as cross-site: %d %s", r.status, r.body)
	}
	if r.status != 401 && r.status != 404 {
		t.Fatalf("unknown user and secret: %d %s", r.status, r.body)
	}
	delete(chromium, "Sec-Fetch-Site")
	checkError(t, e.do("PUT", "/v1/account/sessions/magic-url", body, chromium), 403, "general_unknown_origin", "")
}

// doType is do with a given Content-Type.
func (e *env) doType(method, path, body, contentType string, headers map[string]string) response {
	e.t.Helper()
	req := httptest.NewRequest(method, "http://localhost:8080"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	return serve(e.svc, req, headers)
}

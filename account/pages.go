package account

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strings"
)

// magicURLScript completes a magic-URL sign-in in the browser: the link
// itself changes nothing, so mail scanners that fetch links cannot spend
// the secret; the page's script does, with a PUT from the same origin.
const magicURLScript = `(async () => {
  const q = new URLSearchParams(location.search);
  const out = document.getElementById("status");
  history.replaceState(null, "", location.pathname);
  try {
    const res = await fetch("/v1/account/sessions/magic-url", {
      method: "PUT", credentials: "include",
      headers: {"Content-Type": "application/json", "X-Appwrite-Project": q.get("project") || ""},
      body: JSON.stringify({userId: q.get("userId") || "", secret: q.get("secret") || ""}),
    });
    const body = await res.json();
    out.textContent = res.ok ? "You are signed in. You can close this page." : "Sign-in failed: " + body.message;
  } catch (e) {
    out.textContent = "Sign-in failed: the server could not be reached.";
  }
})();`

var magicURLPageHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Signing in…</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}</style>
</head><body><h1>Signing in</h1><p id="status">One moment…</p>
<script>` + magicURLScript + `</script></body></html>`

// magicURLPageCSP allows exactly the page's own script and same-origin
// requests.
var magicURLPageCSP = func() string {
	sum := sha256.Sum256([]byte(magicURLScript))
	return "default-src 'none'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}()

// Owns reports whether the handler of APIHandler serves path: the API
// under /v1/account and the instance's own pages under /auth/.
func Owns(path string) bool {
	return IsAPIPath(path) || path == magicURLPage || path == oauthSuccessPage || path == oauthFailurePage
}

// ServePage answers the pages under /auth/.
func ServePage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		WriteError(w, NewError(ErrGeneralRouteNotFound))
		return
	}
	if r.URL.Path != magicURLPage {
		ServeOAuthPage(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", magicURLPageCSP)
	// The URL carries the secret: never send it on as a Referer, never cache it.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write([]byte(magicURLPageHTML))
	}
}

func IsPagePath(path string) bool { return strings.HasPrefix(path, "/auth/") && Owns(path) }

// ServeOAuthPage is the default end of an OAuth2 sign-in: a plain page
// saying how it went. Mobile SDKs intercept the redirect before it loads.
func ServeOAuthPage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	title, text := "Signed in", "You are signed in. You can close this page."
	if r.URL.Path == oauthFailurePage {
		title, text = "Sign-in failed", "The sign-in did not complete."
		var e errorBody
		if json.Unmarshal([]byte(r.URL.Query().Get("error")), &e) == nil && e.Message != "" {
			text += " " + e.Message
		}
	}
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>%s</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}</style></head>
<body><h1>%s</h1><p>%s</p></body></html>`, title, title, html.EscapeString(text))
}

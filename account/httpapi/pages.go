package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strings"

	"github.com/accountgate/accountgate/account/core"
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
	return IsAPIPath(path) || path == MagicURLPage || path == OAuthSuccessPage || path == OAuthFailurePage
}

// ServePage answers the pages under /auth/.
func ServePage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		WriteError(w, core.NewError(core.ErrGeneralRouteNotFound))
		return
	}
	if r.URL.Path != MagicURLPage {
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
	if r.URL.Path == OAuthFailurePage {
		title, text = "Sign-in failed", "The sign-in did not complete."
		var e ErrorBody
		if json.Unmarshal([]byte(r.URL.Query().Get("error")), &e) == nil && e.Message != "" {
			text += " " + e.Message
		}
	}
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>%s</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}</style></head>
<body><h1>%s</h1><p>%s</p></body></html>`, title, title, html.EscapeString(text))
}

// MagicURLPage is the instance's own completion page for magic links
// requested without a url (mobile apps, or no front end of one's own).
const MagicURLPage = "/auth/magic-url"

// Pages the flow falls back to when the client names none.
const (
	OAuthSuccessPage = "/auth/oauth2/success"
	OAuthFailurePage = "/auth/oauth2/failure"
)

// WriteHTMLError renders an error as a page, for the routes a browser
// navigates to (the OAuth2 redirects).
func WriteHTMLError(w http.ResponseWriter, e *core.Error) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	NoCache(w)
	w.WriteHeader(e.Status())
	fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error %d</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}</style></head>
<body><h1>Error %d</h1><p>%s</p><p><small>%s</small></p></body></html>`,
		e.Status(), e.Status(), html.EscapeString(e.Message), html.EscapeString(string(e.Type)))
}

// NoCache forbids caching the response anywhere.
func NoCache(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store, no-cache, must-revalidate, max-age=0")
	w.Header().Set("Pragma", "no-cache")
}

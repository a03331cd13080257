package httpapi

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/verify"
)

// The session cookie is SameSite=None (the SDK needs it cross-site), so a
// browser attaches it to any site's form post or fetch. Writes that the
// cookie authenticates therefore need evidence that the page which sent
// them is one of ours. This file holds that decision for the API and for
// the gate.

// UnsafeMethod reports whether method may change state.
func UnsafeMethod(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// sessionFromCookie reports whether the session credential of r comes
// from the session cookie: credential takes the cookie (or its legacy
// twin) first whenever it decodes, and a JWT header replaces it.
func (a *API) sessionFromCookie(r *http.Request) bool {
	if r.Header.Get("X-Appwrite-Jwt") != "" {
		return false
	}
	for _, legacy := range [2]bool{false, true} {
		if v, found := verify.CookieValue(r.Header["Cookie"], a.cookies.name, legacy); found {
			if _, ok := verify.DecodeToken(v); ok {
				return true
			}
		}
	}
	return false
}

// sameOriginFetch reports whether the browser itself vouches that r comes
// from a page of the same origin. Chromium sends "Origin: null" for a
// write from a page with Referrer-Policy: no-referrer even to its own
// origin (our magic-URL page is one); Sec-Fetch-Site tells those apart.
// "same-site" is not enough: a sibling subdomain may belong to someone
// else.
func sameOriginFetch(r *http.Request) bool {
	return r.Header.Get("Sec-Fetch-Site") == "same-origin"
}

// originVerdict is what a write's Origin, Referer and Sec-Fetch-Site say
// about the page that sent it.
type originVerdict int

const (
	verdictNoBrowser originVerdict = iota // no Origin, Referer or Sec-Fetch-Site
	verdictAllowed                        // an allowed origin, or the browser says same-origin
	verdictForeign                        // another site, "null", or unparsable
)

// judgeOrigin decides for a cookie-authenticated write. allowed says
// whether a parsed http(s) origin or referrer URL is acceptable.
func judgeOrigin(r *http.Request, allowed func(*url.URL) bool) (originVerdict, string) {
	source := r.Header.Get("Origin")
	if source == "" {
		source = r.Header.Get("Referer")
	}
	if source == "" {
		switch r.Header.Get("Sec-Fetch-Site") {
		case "":
			return verdictNoBrowser, ""
		case "same-origin":
			return verdictAllowed, ""
		}
		return verdictForeign, "(no origin)"
	}
	if source == "null" {
		if sameOriginFetch(r) {
			return verdictAllowed, ""
		}
		return verdictForeign, "null"
	}
	u, err := url.Parse(source)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return verdictForeign, "(unsupported origin)"
	}
	if allowed(u) {
		return verdictAllowed, ""
	}
	return verdictForeign, u.Host
}

// checkCookieOrigin is the API's extra check for writes that the session
// cookie authenticates, where Appwrite would let them pass: "Origin: null"
// (sandboxed frames, privacy redirects, no-referrer pages), which it reads
// as a missing Origin, and a browser write with neither Origin nor Referer
// whose Sec-Fetch-Site is not same-origin. Every other case is judged by
// checkOrigin as Appwrite does.
func (a *API) checkCookieOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin != "null" && (origin != "" || r.Header.Get("Referer") != "") {
		return nil
	}
	if !a.sessionFromCookie(r) {
		return nil
	}
	// No URL is judged here: only "null" and the Sec-Fetch-Site cases remain.
	verdict, from := judgeOrigin(r, func(*url.URL) bool { return false })
	if verdict != verdictForeign {
		return nil
	}
	return core.Errorf(core.ErrGeneralUnknownOrigin, "Invalid Origin. Register your new client (%s) as a new Web platform on your project console dashboard", from)
}

// CheckGateOrigin is the gate's CSRF defence for the apps behind it. A
// POST, PUT, PATCH or DELETE that the session cookie authenticates must
// come from the site itself (the request's Host) or from a platform of
// the project, as its Origin, else its Referer, says. "Origin: null" is
// foreign unless Sec-Fetch-Site is same-origin.
//
// With no Origin, no Referer and no Sec-Fetch-Site the request is let
// through: it is not a browser's cross-site request, since every browser
// that attaches a SameSite=None cookie to a cross-site POST also sends
// Origin (and current ones Sec-Fetch-Site), and other clients choose
// their own cookies. requests authenticated by a JWT, X-Appwrite-Session
// or X-Fallback-Cookies need no check: a browser never adds those by
// itself, and another site cannot read them.
//
// It returns nil when the request may pass, else a 403
// general_unknown_origin error.
func (a *API) CheckGateOrigin(r *http.Request, p *verify.Principal) *core.Error {
	if p == nil || p.ViaJWT || p.BearerJWT || !UnsafeMethod(r.Method) || !a.sessionFromCookie(r) {
		return nil
	}
	verdict, from := judgeOrigin(r, func(u *url.URL) bool {
		return sameHost(u, r.Host) || a.AllowedHost(u.Hostname())
	})
	if verdict != verdictForeign {
		return nil
	}
	return core.Errorf(core.ErrGeneralUnknownOrigin, "Cross-site request refused: a %s from %s may not use the session cookie of this site.", r.Method, from)
}

// sameHost reports whether u names the host (and port) that the request
// was sent to. The scheme is not compared: behind a TLS-terminating proxy
// the gate cannot tell it, and a page on the same host is the site's own.
func sameHost(u *url.URL, requestHost string) bool {
	host, port := splitHostPort(requestHost)
	if !strings.EqualFold(u.Hostname(), host) {
		return false
	}
	def := "80"
	if u.Scheme == "https" {
		def = "443"
	}
	up := u.Port()
	if up == "" {
		up = def
	}
	if port == "" {
		port = def
	}
	return up == port
}

func splitHostPort(hostport string) (host, port string) {
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		return strings.Trim(h, "[]"), p
	}
	return strings.Trim(hostport, "[]"), ""
}

// WriteErrorPage writes e as a small HTML page, for browsers.
func WriteErrorPage(w http.ResponseWriter, e *core.Error) { WriteHTMLError(w, e) }

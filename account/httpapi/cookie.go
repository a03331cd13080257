package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/verify"
)

// FallbackCookiesHeader is the X-Fallback-Cookies value for a new session.
func FallbackCookiesHeader(name, value string) string {
	b, _ := json.Marshal(map[string]string{name: value})
	return string(b)
}

// CookieWriter sets and clears the session cookies with the attributes of
// part A item 29.
type CookieWriter struct {
	name   string // a_session_<projectId>, lowercased
	domain string // "" = host-only
}

func (c CookieWriter) set(w http.ResponseWriter, value string, expires time.Time, https bool) {
	// URL-encode the value as Appwrite does (=, +, / become %3D, %2B, %2F);
	// Go would otherwise quote or keep them raw.
	v := url.QueryEscape(value)
	legacy := &http.Cookie{Name: c.name + "_legacy", Value: v, Path: "/", Domain: c.domain,
		Expires: expires, HttpOnly: true, Secure: https}
	main := &http.Cookie{Name: c.name, Value: v, Path: "/", Domain: c.domain,
		Expires: expires, HttpOnly: true, Secure: true, SameSite: http.SameSiteNoneMode}
	w.Header().Add("Set-Cookie", legacy.String())
	w.Header().Add("Set-Cookie", main.String())
}

func (c CookieWriter) clear(w http.ResponseWriter, now time.Time, https bool) {
	c.set(w, "", now.Add(-time.Hour), https)
}

// SetSessionCookies sends the new session to the client: both cookies and,
// when cookies may be blocked as third-party, X-Fallback-Cookies.
func (a *API) SetSessionCookies(w http.ResponseWriter, r *http.Request, userID, secret string, sess *core.Session) {
	a.ObserveSignIn(r, sess)
	value := verify.EncodeToken(userID, secret)
	a.cookies.set(w, value, sess.Expire, a.cfg.IsHTTPS(r))
	if a.SendFallback(r) {
		w.Header().Set("X-Fallback-Cookies", FallbackCookiesHeader(a.cookies.name, value))
	}
}

// ClearSessionCookies ends the client's session: expired cookies and an
// empty fallback list.
func (a *API) ClearSessionCookies(w http.ResponseWriter, r *http.Request) {
	a.cookies.clear(w, a.Now(), a.cfg.IsHTTPS(r))
	if a.SendFallback(r) {
		w.Header().Set("X-Fallback-Cookies", "[]")
	}
}

// CookieName is the session cookie's name.
func (a *API) CookieName() string { return a.cookies.name }

package account

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// sessionToken is what the session cookie carries: the user id and the
// session secret, as base64 of compact JSON {"id":…,"secret":…}.
type sessionToken struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// encodeSessionToken returns the cookie value (before URL-encoding).
func encodeSessionToken(userID, secret string) string {
	b, _ := json.Marshal(sessionToken{ID: userID, Secret: secret})
	return base64.StdEncoding.EncodeToString(b)
}

// decodeSessionToken parses a cookie value leniently: URL-encoded or not,
// padded or not, standard or URL base64. Anything that is not a JSON object
// with string id and secret is no session (ok=false), never an error.
func decodeSessionToken(value string) (tok sessionToken, ok bool) {
	if strings.IndexByte(value, '%') >= 0 {
		// PathUnescape leaves '+' alone: raw base64 may contain it.
		if v, err := url.PathUnescape(value); err == nil {
			value = v
		}
	}
	value = strings.TrimRight(strings.TrimSpace(value), "=")
	if value == "" || len(value) > 4096 {
		return tok, false
	}
	raw, err := base64.RawStdEncoding.DecodeString(value)
	if err != nil {
		if raw, err = base64.RawURLEncoding.DecodeString(value); err != nil {
			return tok, false
		}
	}
	if err := json.Unmarshal(raw, &tok); err != nil || tok.ID == "" || tok.Secret == "" {
		return sessionToken{}, false
	}
	return tok, true
}

// decodeFallbackCookies reads the X-Fallback-Cookies header, a JSON object
// mapping cookie names to values. Empty, [], {} or malformed means no
// session (part A item 35): the web SDK sends "" on every request.
func decodeFallbackCookies(header, name string) (string, bool) {
	if len(header) < 2 || header[0] != '{' || len(header) > 8192 {
		return "", false
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(header), &m); err != nil {
		return "", false
	}
	v, ok := m[name].(string)
	return v, ok && v != ""
}

// fallbackCookiesHeader is the X-Fallback-Cookies value for a new session.
func fallbackCookiesHeader(name, value string) string {
	b, _ := json.Marshal(map[string]string{name: value})
	return string(b)
}

// cookieWriter sets and clears the session cookies with the attributes of
// part A item 29.
type cookieWriter struct {
	name   string // a_session_<projectId>, lowercased
	domain string // "" = host-only
}

func (c cookieWriter) set(w http.ResponseWriter, value string, expires time.Time, https bool) {
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

func (c cookieWriter) clear(w http.ResponseWriter, now time.Time, https bool) {
	c.set(w, "", now.Add(-time.Hour), https)
}

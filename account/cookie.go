package account

import (
	"bytes"
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
	if tok, ok := decodeOwnToken(value); ok {
		return tok, true
	}
	return decodeAnyToken(value)
}

// decodeOwnToken reads the exact form the server writes — URL-encoded
// base64 of {"id":"…","secret":"…"} with no escapes inside — in stack
// buffers: the hot path's one allocation is the string id and secret
// share. Anything else is left to decodeAnyToken.
func decodeOwnToken(value string) (sessionToken, bool) {
	var enc [512]byte
	n := 0
	for i := 0; i < len(value); i++ {
		if n == len(enc) {
			return sessionToken{}, false
		}
		c := value[i]
		if c == '%' {
			if i+2 >= len(value) {
				return sessionToken{}, false
			}
			hi, lo := unhex(value[i+1]), unhex(value[i+2])
			if hi < 0 || lo < 0 {
				return sessionToken{}, false
			}
			c = byte(hi<<4 | lo)
			i += 2
		}
		enc[n] = c
		n++
	}
	src := enc[:n]
	for len(src) > 0 && src[len(src)-1] == '=' {
		src = src[:len(src)-1]
	}
	var raw [384]byte
	if base64.RawStdEncoding.DecodedLen(len(src)) > len(raw) {
		return sessionToken{}, false
	}
	m, err := base64.RawStdEncoding.Decode(raw[:], src)
	if err != nil {
		return sessionToken{}, false
	}
	const head, mid, tail = `{"id":"`, `","secret":"`, `"}`
	b := raw[:m]
	if !bytes.HasPrefix(b, []byte(head)) || !bytes.HasSuffix(b, []byte(tail)) || len(b) < len(head)+len(tail) {
		return sessionToken{}, false
	}
	inner := b[len(head) : len(b)-len(tail)]
	i := bytes.Index(inner, []byte(mid))
	if i <= 0 || i+len(mid) == len(inner) {
		return sessionToken{}, false
	}
	// Only plain printable ASCII outside the separator: anything else
	// (escapes, control or non-ASCII bytes) is for the JSON decoder.
	for j, c := range inner {
		if (j < i || j >= i+len(mid)) && (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
			return sessionToken{}, false
		}
	}
	both := string(inner)
	return sessionToken{ID: both[:i], Secret: both[i+len(mid):]}, true
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// decodeAnyToken is the general, lenient decoder.
func decodeAnyToken(value string) (tok sessionToken, ok bool) {
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

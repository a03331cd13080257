package verify

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
)

// Token is what the session cookie carries: the user id and the
// session secret, as base64 of compact JSON {"id":…,"secret":…}.
type Token struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// EncodeToken returns the cookie value (before URL-encoding).
func EncodeToken(userID, secret string) string {
	b, _ := json.Marshal(Token{ID: userID, Secret: secret})
	return base64.StdEncoding.EncodeToString(b)
}

// DecodeToken parses a cookie value leniently: URL-encoded or not,
// padded or not, standard or URL base64. Anything that is not a JSON object
// with string id and secret is no session (ok=false), never an error.
func DecodeToken(value string) (tok Token, ok bool) {
	if tok, ok := decodeOwnToken(value); ok {
		return tok, true
	}
	return decodeAnyToken(value)
}

// decodeOwnToken reads the exact form the server writes — URL-encoded
// base64 of {"id":"…","secret":"…"} with no escapes inside — in stack
// buffers: the hot path's one allocation is the string id and secret
// share. Anything else is left to decodeAnyToken.
func decodeOwnToken(value string) (Token, bool) {
	var enc [512]byte
	n := 0
	for i := 0; i < len(value); i++ {
		if n == len(enc) {
			return Token{}, false
		}
		c := value[i]
		if c == '%' {
			if i+2 >= len(value) {
				return Token{}, false
			}
			hi, lo := unhex(value[i+1]), unhex(value[i+2])
			if hi < 0 || lo < 0 {
				return Token{}, false
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
		return Token{}, false
	}
	m, err := base64.RawStdEncoding.Decode(raw[:], src)
	if err != nil {
		return Token{}, false
	}
	const head, mid, tail = `{"id":"`, `","secret":"`, `"}`
	b := raw[:m]
	if !bytes.HasPrefix(b, []byte(head)) || !bytes.HasSuffix(b, []byte(tail)) || len(b) < len(head)+len(tail) {
		return Token{}, false
	}
	inner := b[len(head) : len(b)-len(tail)]
	i := bytes.Index(inner, []byte(mid))
	if i <= 0 || i+len(mid) == len(inner) {
		return Token{}, false
	}
	// Only plain printable ASCII outside the separator: anything else
	// (escapes, control or non-ASCII bytes) is for the JSON decoder.
	for j, c := range inner {
		if (j < i || j >= i+len(mid)) && (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
			return Token{}, false
		}
	}
	both := string(inner)
	return Token{ID: both[:i], Secret: both[i+len(mid):]}, true
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
func decodeAnyToken(value string) (tok Token, ok bool) {
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
		return Token{}, false
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

package core

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Validator descriptions, as Appwrite 1.3 words them; they become part of
// the 400 message "Invalid <param>: <description>".
const (
	DescCustomID           = "Parameter must contain at most 36 chars. Valid chars are a-z, A-Z, 0-9, period, hyphen, and underscore. Can't start with a special char"
	DescUID                = "UID must contain at most 36 chars. Valid chars are a-z, A-Z, 0-9, and underscore. Can't start with a leading underscore"
	DescEmail              = "Value must be a valid email address"
	DescPassword           = "Password must be at least 8 characters"
	DescPasswordDictionary = "Password must be at least 8 characters and should not be one of the commonly used password."
)

func DescText(max int) string {
	return "Value must be a valid string and at least 1 chars and no longer than " + strconv.Itoa(max) + " chars"
}

// ValidKey reports whether s follows the Key rules: at most 36 chars of
// [A-Za-z0-9._-], not starting with a special char.
func ValidKey(s string) bool {
	if s == "" || len(s) > 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.' || c == '-' || c == '_':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// ValidText reports whether s has between 1 and max characters.
func ValidText(s string, max int) bool {
	n := utf8.RuneCountInString(s)
	return utf8.ValidString(s) && n >= 1 && n <= max
}

// ValidName is the rule for a user's name: Text(128), as Appwrite has it,
// and no control characters (C0, DEL, C1). The name becomes the
// X-Account-Name header, where a CR, LF or NUL is not a valid value.
func ValidName(s string) bool {
	return ValidText(s, 128) && !strings.ContainsFunc(s, unicode.IsControl)
}

// CleanName fits a display name from an OAuth2 provider to the name rule:
// a sign-in is not refused for its provider's data, so control characters
// become spaces and the result is trimmed and cut to 128 bytes.
func CleanName(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return Truncate(strings.TrimSpace(s), 128)
}

// NormalizeEmail trims and lowercases, as every route does (part A item 11).
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidEmail follows PHP's FILTER_VALIDATE_EMAIL closely enough for
// Appwrite's clients: ASCII only, a local part of at most 64 characters, at
// most 254 in all, and a domain with a dot (or an IP literal in brackets).
func ValidEmail(s string) bool {
	if len(s) > 254 {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	return validLocalPart(local) && validDomain(domain)
}

func validLocalPart(s string) bool {
	if len(s) > 64 {
		return false
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		inner := s[1 : len(s)-1]
		for i := 0; i < len(inner); i++ {
			c := inner[i]
			if c < 0x20 || c > 0x7e {
				return false
			}
			if c == '\\' {
				i++
				continue
			}
			if c == '"' {
				return false
			}
		}
		return true
	}
	if s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+/=?^_`{|}~.-", rune(c)) {
			return false
		}
	}
	return true
}

func validDomain(s string) bool {
	if len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' {
		lit := s[1 : len(s)-1]
		lit = strings.TrimPrefix(lit, "IPv6:")
		_, err := netip.ParseAddr(lit)
		return err == nil
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 || len(s) > 253 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

const (
	DescPhone = "Phone number must start with a '+' can have a maximum of fifteen digits."
	DescPrefs = "Value must be a valid object."
	// MaxPrefsBytes bounds prefs as Appwrite measures them: the JSON with
	// non-ASCII escaped as \uXXXX and / as \/.
	MaxPrefsBytes = 65535
)

// PhonePattern is E.164 as Appwrite checks it.
var PhonePattern = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)

// AppwriteJSONLen is the length PHP's json_encode would give: each
// non-ASCII character as one or two \uXXXX escapes and / as \/.
func AppwriteJSONLen(b []byte) int {
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == '/':
			n += 2
		case r >= 0x10000:
			n += 12
		case r >= 0x80:
			n += 6
		default:
			n++
		}
		b = b[size:]
	}
	return n
}

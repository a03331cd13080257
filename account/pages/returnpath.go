package pages

import (
	"net/url"
	"strings"
)

// maxReturn bounds a return path; a longer one is not worth keeping.
const maxReturn = 2048

// CleanReturn is ret when it is a path on this site, else "/". It follows
// account.ReturnPath's rules and is stricter, as ret comes from a query
// or form any other site can write: no "//host" or "/\host" (browsers
// read both as another host), no backslash or control byte anywhere
// (browsers drop tabs and newlines, so "/\t/evil" would become
// "//evil"), no scheme, host or user part.
func CleanReturn(ret string) string {
	if ret == "" || len(ret) > maxReturn || ret[0] != '/' || strings.HasPrefix(ret, "//") {
		return "/"
	}
	for i := 0; i < len(ret); i++ {
		if c := ret[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(ret)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return ret
}

package store

import (
	"net/url"
	"regexp"
	"strings"
)

// Mask replaces a secret in messages.
const Mask = "xxxxx"

// kvPassword finds the password of a key=value DSN (quoted or not).
var kvPassword = regexp.MustCompile(`(?i)((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// RedactDSN returns dsn (a PostgreSQL or Redis URL, or a key=value DSN)
// with its passwords masked, for messages.
func RedactDSN(dsn string) string {
	out := dsn
	for _, s := range DSNSecrets(dsn) {
		out = strings.ReplaceAll(out, s, Mask)
	}
	return out
}

// DSNSecrets lists the passwords in dsn, in every form a message may show
// them: raw, percent-decoded and, for key=value DSNs, unquoted.
func DSNSecrets(dsn string) []string {
	var out []string
	add := func(s string) {
		if len(s) >= 3 && !strings.Contains(Mask, s) {
			out = append(out, s)
		}
	}
	if scheme, rest, ok := strings.Cut(dsn, "://"); ok && scheme != "" {
		// The userinfo ends at the last @ before the path; parse by hand,
		// since a malformed URL is what ends up in an error message.
		hostPart := rest
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			hostPart = rest[:i]
		}
		if at := strings.LastIndex(hostPart, "@"); at >= 0 {
			if _, pw, ok := strings.Cut(hostPart[:at], ":"); ok {
				add(pw)
				if dec, err := url.PathUnescape(pw); err == nil && dec != pw {
					add(dec)
				}
			}
		}
		if _, query, ok := strings.Cut(rest, "?"); ok {
			for _, kv := range strings.Split(query, "&") {
				k, v, _ := strings.Cut(kv, "=")
				if k = strings.ToLower(k); k == "password" || k == "sslpassword" || k == "sentinel_password" {
					add(v)
					if dec, err := url.QueryUnescape(v); err == nil && dec != v {
						add(dec)
					}
				}
			}
		}
		return out
	}
	for _, m := range kvPassword.FindAllStringSubmatch(dsn, -1) {
		add(m[2])
		if unq := strings.Trim(m[2], "'"); unq != m[2] {
			add(strings.ReplaceAll(unq, `\'`, `'`))
		}
	}
	return out
}

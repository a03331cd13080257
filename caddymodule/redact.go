package caddymodule

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// mask replaces a secret in messages.
const mask = "xxxxx"

// kvPassword finds the password of a key=value DSN (quoted or not).
var kvPassword = regexp.MustCompile(`(?i)((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// redactDSN returns dsn (a PostgreSQL or Redis URL, or a key=value DSN)
// with its passwords masked, for messages.
func redactDSN(dsn string) string {
	out := dsn
	for _, s := range dsnSecrets(dsn) {
		out = strings.ReplaceAll(out, s, mask)
	}
	return out
}

// dsnSecrets lists the passwords in dsn, in every form a message may show
// them: raw, percent-decoded and, for key=value DSNs, unquoted.
func dsnSecrets(dsn string) []string {
	var out []string
	add := func(s string) {
		if len(s) >= 3 && !strings.Contains(mask, s) {
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

// secrets lists every secret of the configuration that a message could
// carry: passwords of the store DSNs and cache URLs, signing secrets,
// mail, SMS and OAuth2 credentials.
func (a *App) secrets() []string {
	var out []string
	add := func(s string) {
		if len(s) >= 3 {
			out = append(out, s)
		}
	}
	for _, p := range a.Projects {
		if p == nil {
			continue
		}
		out = append(out, dsnSecrets(p.Store.DSN)...)
		if p.Cache != nil {
			out = append(out, dsnSecrets(p.Cache.URL)...)
		}
		add(p.Secret)
		for _, s := range p.PreviousSecrets {
			add(s)
		}
		if p.Mailer != nil {
			add(p.Mailer.Password)
		}
		if p.SMS != nil {
			add(p.SMS.AuthToken)
		}
		for _, c := range p.OAuth2 {
			if c != nil {
				add(c.ClientSecret)
			}
		}
	}
	return out
}

// redactedError is an error whose message had the configuration's
// secrets masked; it still unwraps to the original for errors.Is.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact masks the configuration's secrets in err's message: errors of
// Provision reach Caddy's log and the command line.
func (a *App) redact(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range a.secrets() {
		msg = strings.ReplaceAll(msg, s, mask)
	}
	if msg == err.Error() {
		return err
	}
	var re *redactedError
	if errors.As(err, &re) {
		err = re.err
	}
	return &redactedError{msg: msg, err: err}
}

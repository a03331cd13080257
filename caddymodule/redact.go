package caddymodule

import (
	"errors"
	"strings"

	"github.com/accountgate/accountgate/store"
)

// secrets lists every secret of the configuration that a message could
// carry: passwords of the store DSNs and cache URLs, signing secrets,
// mail, SMS and OAuth2 credentials, API keys.
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
		out = append(out, store.DSNSecrets(p.Store.DSN)...)
		if p.Cache != nil {
			out = append(out, store.DSNSecrets(p.Cache.URL)...)
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
		for _, k := range p.APIKeys {
			if k != nil {
				add(k.Key)
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
		msg = strings.ReplaceAll(msg, s, store.Mask)
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

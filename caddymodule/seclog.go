package caddymodule

import (
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/accountgate/accountgate/account/core"
)

// securityLoggerName is the logger of the security log, below the app's
// own ("accountgate"): Caddy's `log` options route it by this name.
const securityLoggerName = "security"

// isSecurityEvent reports whether e is a line of the security log: every
// kind but the operational measurements, and of the gate's decisions only
// the policy refusals (a blocked user, an unmet `require`), not the
// anonymous visits every public page gets.
func isSecurityEvent(e core.Event) bool {
	switch e.Kind {
	case core.EventCacheLookup, core.EventDelivery, core.EventPasswordWait, core.EventRevocationLag:
		return false
	case core.EventGate:
		return e.Result == core.ResultRefused && e.Reason != core.ReasonUnauthenticated && e.Reason != core.ReasonError
	}
	return true
}

// securityLog writes one line per security event. It never writes a
// password, secret, token or cookie (events carry none), and an email
// only masked unless logEmails is set.
type securityLog struct {
	log       *zap.Logger
	logEmails bool
}

func (l *securityLog) observe(e core.Event) {
	if !isSecurityEvent(e) {
		return
	}
	level := zapcore.InfoLevel
	if e.Result == core.ResultFailure || e.Result == core.ResultRefused {
		level = zapcore.WarnLevel
	}
	ce := l.log.Check(level, "security event")
	if ce == nil {
		return
	}
	fields := make([]zap.Field, 0, 12)
	fields = append(fields, zap.String("event", string(e.Kind)))
	add := func(key, v string) {
		if v != "" {
			fields = append(fields, zap.String(key, v))
		}
	}
	add("result", e.Result)
	add("method", e.Method)
	add("provider", e.Provider)
	add("reason", e.Reason)
	add("stage", e.Stage)
	add("limit", e.Limit)
	add("channel", e.Channel)
	add("user_id", e.UserID)
	add("session_id", e.SessionID)
	if l.logEmails {
		add("email", e.Email)
	} else {
		add("email_masked", maskEmail(e.Email))
	}
	add("client_ip", e.IP)
	add("path", e.Path)
	ce.Write(fields...)
}

// maskEmail keeps the first character of the local part and the domain:
// enough to tell accounts apart in an incident, not to read the address.
func maskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if email == "" || !ok || local == "" {
		return ""
	}
	first := []rune(local)[0]
	return string(first) + "***@" + domain
}

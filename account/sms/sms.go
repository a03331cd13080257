package sms

import (
	"context"
	"strings"
)

// Sender delivers text messages. Implementations must be safe for
// concurrent use and must never include the body in a returned error.
type Sender interface {
	// Send delivers body to the phone number to (E.164, e.g.
	// "+14155550100"), or returns why it could not.
	Send(ctx context.Context, to, body string) error
}

// redact replaces the body, and each of its lines and longer words, by
// "[redacted]" in s, so that a secret echoed back by a provider never
// leaves the package inside an error.
func redact(s, body string) string {
	if body == "" {
		return s
	}
	s = strings.ReplaceAll(s, body, "[redacted]")
	for line := range strings.Lines(body) {
		if line = strings.TrimSpace(line); len(line) >= 6 {
			s = strings.ReplaceAll(s, line, "[redacted]")
		}
	}
	for _, word := range strings.Fields(body) {
		if len(word) >= 6 {
			s = strings.ReplaceAll(s, word, "[redacted]")
		}
	}
	return s
}

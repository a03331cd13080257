package mail

import (
	"context"
	"strings"
)

// Message is one e-mail to one recipient.
type Message struct {
	// To is the recipient's address, e.g. "ada@example.com".
	To string
	// ToName is the recipient's display name; it may be empty.
	ToName string
	// Subject is the single-line subject.
	Subject string
	// Text is the plain-text body. It usually holds a secret link.
	Text string
	// HTML is the optional HTML alternative of Text.
	HTML string
}

// Sender delivers messages. Implementations must be safe for concurrent use
// and must never include the message body in a returned error.
type Sender interface {
	// Send delivers m, or returns why it could not.
	Send(ctx context.Context, m Message) error
}

// redact replaces every line and every long word of the message bodies that
// occurs in s (a server's or library's error text) by "[redacted]", so that a
// secret link echoed back by a server never leaves the package in an error.
func redact(s string, m Message) string {
	for _, body := range []string{m.Text, m.HTML} {
		if body == "" {
			continue
		}
		s = strings.ReplaceAll(s, body, "[redacted]")
		for line := range strings.Lines(body) {
			if line = strings.TrimSpace(line); len(line) >= 16 {
				s = strings.ReplaceAll(s, line, "[redacted]")
			}
		}
		for _, word := range strings.Fields(body) {
			if len(word) >= 16 {
				s = strings.ReplaceAll(s, word, "[redacted]")
			}
		}
	}
	return s
}

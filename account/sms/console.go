package sms

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// Console is a [Sender] that prints every message (recipient and body) to
// a writer instead of delivering it.
//
// It is for development only: the printed bodies contain the secret codes
// that log users in and verify phone numbers, so anyone who can read the
// output can take over the accounts. Never use it in production.
type Console struct {
	mu sync.Mutex
	w  io.Writer
}

var _ Sender = (*Console)(nil)

// NewConsole returns a development sender printing to w, or to os.Stderr
// when w is nil. See [Console] for why it must not be used in production.
func NewConsole(w io.Writer) *Console {
	if w == nil {
		w = os.Stderr
	}
	return &Console{w: w}
}

// Send prints the message as one readable block.
func (c *Console) Send(ctx context.Context, to, body string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sms: console send to %s: %w", to, err)
	}
	var b strings.Builder
	b.WriteString("----- sms (development console, contains secrets) -----\n")
	fmt.Fprintf(&b, "To: %s\n\n", to)
	b.WriteString(body)
	if !strings.HasSuffix(body, "\n") {
		b.WriteString("\n")
	}
	b.WriteString("----- end of sms -----\n")

	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.w, b.String()); err != nil {
		return fmt.Errorf("sms: console send to %s: %w", to, err)
	}
	return nil
}

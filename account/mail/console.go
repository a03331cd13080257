package mail

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// Console is a [Sender] that prints every message (recipient, subject and
// plain-text body) to a writer instead of delivering it.
//
// It is for development only: the printed bodies contain the secret links
// that log users in and reset passwords, so anyone who can read the output
// can take over the accounts. Never use it in production.
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

// Send prints m as one readable block. The HTML body is not printed.
func (c *Console) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mail: console send to %s: %w", m.To, err)
	}
	to := m.To
	if m.ToName != "" {
		to = fmt.Sprintf("%s <%s>", m.ToName, m.To)
	}
	var b strings.Builder
	b.WriteString("----- mail (development console, contains secrets) -----\n")
	fmt.Fprintf(&b, "To:      %s\nSubject: %s\n\n", to, m.Subject)
	b.WriteString(m.Text)
	if !strings.HasSuffix(m.Text, "\n") {
		b.WriteString("\n")
	}
	b.WriteString("----- end of mail -----\n")

	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.w, b.String()); err != nil {
		return fmt.Errorf("mail: console send to %s: %w", m.To, err)
	}
	return nil
}

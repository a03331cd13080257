package mail

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestConsole(t *testing.T) {
	var b strings.Builder
	c := NewConsole(&b)
	m := testMessage(t)
	if err := c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"Ada Lovelace <ada@example.com>", "Subject: Password Reset", testLink, "end of mail"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "<html") {
		t.Errorf("console printed the HTML body:\n%s", out)
	}
}

type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func TestConsoleConcurrentBlocksDoNotInterleave(t *testing.T) {
	var w lockedBuilder
	c := NewConsole(&w)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_ = c.Send(context.Background(), Message{To: "a@example.com", Subject: "s", Text: "line1\nline2"})
		})
	}
	wg.Wait()
	want := strings.Repeat("----- mail (development console, contains secrets) -----\nTo:      a@example.com\nSubject: s\n\nline1\nline2\n----- end of mail -----\n", 8)
	if w.b.String() != want {
		t.Errorf("interleaved output:\n%s", w.b.String())
	}
}

func TestConsoleCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var b strings.Builder
	if err := NewConsole(&b).Send(ctx, Message{To: "a@example.com"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if b.Len() != 0 {
		t.Fatal("printed after cancel")
	}
}

package mail

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

const testLink = "https://app.example.com/auth/recovery?userId=64f0c1&secret=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08&expire=2024-01-01+10%3A00%3A00"

func testMessage(t *testing.T) Message {
	t.Helper()
	tpl, err := LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	subject, text, html, err := tpl.Render(KindRecovery, TemplateData{
		Project: "Acme", Name: "Ada Lovelace", Link: testLink, Expire: "1 hour",
	})
	if err != nil {
		t.Fatal(err)
	}
	return Message{To: "ada@example.com", ToName: "Ada Lovelace", Subject: subject, Text: text, HTML: html}
}

func newTestSMTP(t *testing.T, s *sink, cfg SMTPConfig) *SMTP {
	t.Helper()
	cfg.Host, cfg.Port = s.host, s.port
	if cfg.From == "" {
		cfg.From = "noreply@acme.test"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	sender, err := NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sender
}

// checkDelivered asserts the sink holds exactly one copy of m.
func checkDelivered(t *testing.T, s *sink, m Message) received {
	t.Helper()
	msgs := s.messages()
	if len(msgs) != 1 {
		t.Fatalf("sink got %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.from != "noreply@acme.test" || len(got.to) != 1 || got.to[0] != m.To {
		t.Errorf("envelope from %q to %v", got.from, got.to)
	}
	p := parseMIME(t, got.data)
	if p.subject != "Password Reset" {
		t.Errorf("subject %q", p.subject)
	}
	if to := p.header.Get("To"); !strings.Contains(to, "ada@example.com") || !strings.Contains(to, "Ada Lovelace") {
		t.Errorf("To header %q", to)
	}
	if from := p.header.Get("From"); !strings.Contains(from, "Acme") || !strings.Contains(from, "noreply@acme.test") {
		t.Errorf("From header %q", from)
	}
	if !strings.HasPrefix(p.contentType, "multipart/alternative") {
		t.Errorf("content type %q", p.contentType)
	}
	if p.text != m.Text || !strings.Contains(p.text, testLink) {
		t.Errorf("text part differs or lacks the link:\n%s", p.text)
	}
	if p.html != m.HTML || !strings.Contains(p.html, "Ada Lovelace") || !strings.Contains(p.html, "<a href=") {
		t.Errorf("html part differs:\n%s", p.html)
	}
	return got
}

func TestSMTPPlaintext(t *testing.T) {
	s := startSink(t, sinkOptions{})
	sender := newTestSMTP(t, s, SMTPConfig{TLS: TLSNone, FromName: "Acme", ReplyTo: "help@acme.test"})
	m := testMessage(t)
	if err := sender.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := checkDelivered(t, s, m)
	if got.tls {
		t.Error("plaintext session reported TLS")
	}
	p := parseMIME(t, got.data)
	if p.header.Get("Reply-To") == "" || p.header.Get("Message-Id") == "" || p.header.Get("Date") == "" {
		t.Errorf("missing headers: %v", p.header)
	}
}

func TestSMTPStartTLSWithAuth(t *testing.T) {
	s := startSink(t, sinkOptions{startTLS: true, user: "mailer", pass: "s3cret"})
	sender := newTestSMTP(t, s, SMTPConfig{
		TLS: TLSStartTLS, Username: "mailer", Password: "s3cret",
		FromName: "Acme", InsecureSkipVerify: true,
	})
	m := testMessage(t)
	if err := sender.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := checkDelivered(t, s, m)
	if !got.tls || got.user != "mailer" {
		t.Errorf("session tls=%v user=%q, want TLS and authenticated", got.tls, got.user)
	}
}

func TestSMTPDefaultModeIsStartTLS(t *testing.T) {
	s := startSink(t, sinkOptions{}) // offers no STARTTLS
	sender := newTestSMTP(t, s, SMTPConfig{FromName: "Acme"})
	err := sender.Send(context.Background(), testMessage(t))
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v, want a STARTTLS error", err)
	}
	if n := len(s.messages()); n != 0 {
		t.Fatalf("sink got %d messages in plaintext", n)
	}
}

func TestSMTPStartTLSVerifiesCertificate(t *testing.T) {
	s := startSink(t, sinkOptions{startTLS: true})
	sender := newTestSMTP(t, s, SMTPConfig{FromName: "Acme"})
	if err := sender.Send(context.Background(), testMessage(t)); err == nil {
		t.Fatal("self-signed certificate accepted without InsecureSkipVerify")
	}
}

func TestSMTPImplicitTLSWithAuth(t *testing.T) {
	s := startSink(t, sinkOptions{implicitTLS: true, user: "mailer", pass: "s3cret"})
	sender := newTestSMTP(t, s, SMTPConfig{
		TLS: TLSImplicit, Username: "mailer", Password: "s3cret",
		FromName: "Acme", InsecureSkipVerify: true,
	})
	m := testMessage(t)
	if err := sender.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got := checkDelivered(t, s, m); !got.tls || got.user != "mailer" {
		t.Errorf("session tls=%v user=%q", got.tls, got.user)
	}
}

func TestSMTPPlaintextAuthOnLoopback(t *testing.T) {
	s := startSink(t, sinkOptions{user: "mailer", pass: "s3cret", insecureAuth: true})
	sender := newTestSMTP(t, s, SMTPConfig{TLS: TLSNone, Username: "mailer", Password: "s3cret", FromName: "Acme"})
	m := testMessage(t)
	if err := sender.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got := checkDelivered(t, s, m); got.user != "mailer" {
		t.Errorf("user %q", got.user)
	}
}

func TestSMTPIPv6Loopback(t *testing.T) {
	s := startSink(t, sinkOptions{addr: "[::1]:0"})
	sender := newTestSMTP(t, s, SMTPConfig{TLS: TLSNone, FromName: "Acme"})
	m := testMessage(t)
	if err := sender.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, s, m)
}

func TestSMTPWrongPassword(t *testing.T) {
	s := startSink(t, sinkOptions{startTLS: true, user: "mailer", pass: "s3cret"})
	sender := newTestSMTP(t, s, SMTPConfig{Username: "mailer", Password: "wrong-password", InsecureSkipVerify: true})
	err := sender.Send(context.Background(), testMessage(t))
	if err == nil {
		t.Fatal("wrong password accepted")
	}
	if strings.Contains(err.Error(), "wrong-password") {
		t.Errorf("error leaks the password: %v", err)
	}
}

func TestSMTPErrorsNeverContainBody(t *testing.T) {
	s := startSink(t, sinkOptions{rejectWithErr: func([]byte) error {
		// A hostile or chatty server echoing the secret link back.
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "rejected " + testLink}
	}})
	sender := newTestSMTP(t, s, SMTPConfig{TLS: TLSNone})
	m := testMessage(t)
	err := sender.Send(context.Background(), m)
	if err == nil {
		t.Fatal("rejected message reported as sent")
	}
	if strings.Contains(err.Error(), "secret=") || strings.Contains(err.Error(), "9f86d081") {
		t.Errorf("error leaks the link: %v", err)
	}
	if !strings.Contains(err.Error(), "554") || !strings.Contains(err.Error(), "ada@example.com") {
		t.Errorf("error lacks the server status or recipient: %v", err)
	}
}

func TestSMTPServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	sender, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: port, TLS: TLSNone, From: "noreply@acme.test", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = sender.Send(context.Background(), testMessage(t))
	if err == nil {
		t.Fatal("send to a closed port succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s, want within the 1s timeout", d)
	}
	if strings.Contains(err.Error(), testLink) {
		t.Errorf("error leaks the link: %v", err)
	}
}

func TestSMTPServerSilent(t *testing.T) {
	// Accepts connections but never greets: the timeout must fire.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	sender, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: port, TLS: TLSNone, From: "noreply@acme.test", Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := sender.Send(context.Background(), testMessage(t)); err == nil {
		t.Fatal("send to a silent server succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s, want about the 300ms timeout", d)
	}
}

// TestSMTPSilentServerContextEnds: a context that ends in the middle of a
// conversation with a server that stopped answering ends the send at
// once, not at the (long) timeout: a shutdown waits for sends.
func TestSMTPSilentServerContextEnds(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	for _, mode := range []string{TLSNone, TLSStartTLS} {
		sender, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: port, TLS: mode, From: "noreply@acme.test", Timeout: 20 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		start := time.Now()
		err = sender.Send(ctx, testMessage(t))
		cancel()
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: err = %v, want the context's deadline", mode, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: took %s after its context ended at 200ms", mode, d)
		}
	}
}

func TestSMTPCanceledContext(t *testing.T) {
	s := startSink(t, sinkOptions{})
	sender := newTestSMTP(t, s, SMTPConfig{TLS: TLSNone})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sender.Send(ctx, testMessage(t)); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := len(s.messages()); n != 0 {
		t.Fatalf("sink got %d messages", n)
	}
}

func TestSMTPRejectsBadMessages(t *testing.T) {
	s := startSink(t, sinkOptions{})
	sender := newTestSMTP(t, s, SMTPConfig{TLS: TLSNone})
	good := testMessage(t)
	for name, mut := range map[string]func(*Message){
		"bad recipient":     func(m *Message) { m.To = "not an address" },
		"header injection":  func(m *Message) { m.Subject = "Hi\r\nBcc: evil@example.com" },
		"name injection":    func(m *Message) { m.ToName = "Ada\nBcc: evil@example.com" },
		"no body":           func(m *Message) { m.Text, m.HTML = "", "" },
		"recipient newline": func(m *Message) { m.To = "ada@example.com\r\nBcc: evil@example.com" },
	} {
		m := good
		mut(&m)
		err := sender.Send(context.Background(), m)
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), testLink) {
			t.Errorf("%s: error leaks the link: %v", name, err)
		}
	}
	if n := len(s.messages()); n != 0 {
		t.Fatalf("sink got %d messages", n)
	}
}

func TestNewSMTPValidates(t *testing.T) {
	ok := SMTPConfig{Host: "smtp.example.com", Port: 587, From: "noreply@example.com"}
	for name, mut := range map[string]func(*SMTPConfig){
		"no host":          func(c *SMTPConfig) { c.Host = "" },
		"host with port":   func(c *SMTPConfig) { c.Host = "smtp.example.com:587" },
		"port 0":           func(c *SMTPConfig) { c.Port = 0 },
		"port too big":     func(c *SMTPConfig) { c.Port = 65536 },
		"bad tls":          func(c *SMTPConfig) { c.TLS = "ssl" },
		"no from":          func(c *SMTPConfig) { c.From = "" },
		"bad from":         func(c *SMTPConfig) { c.From = "noreply" },
		"bad reply-to":     func(c *SMTPConfig) { c.ReplyTo = "nobody" },
		"negative timeout": func(c *SMTPConfig) { c.Timeout = -time.Second },
		"password only":    func(c *SMTPConfig) { c.Password = "x" },
		"from name break":  func(c *SMTPConfig) { c.FromName = "A\r\nB" },
	} {
		c := ok
		mut(&c)
		if _, err := NewSMTP(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for name, mut := range map[string]func(*SMTPConfig){
		"defaults":     func(*SMTPConfig) {},
		"implicit":     func(c *SMTPConfig) { c.TLS = "Implicit"; c.Port = 465 },
		"none":         func(c *SMTPConfig) { c.TLS = "none"; c.Port = 25 },
		"ipv6":         func(c *SMTPConfig) { c.Host = "::1" },
		"ipv6 bracket": func(c *SMTPConfig) { c.Host = "[::1]" },
		"named from":   func(c *SMTPConfig) { c.From = "Acme <noreply@example.com>" },
	} {
		c := ok
		mut(&c)
		s, err := NewSMTP(c)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if want := net.JoinHostPort(strings.Trim(c.Host, "[]"), strconv.Itoa(c.Port)); s.Addr() != want {
			t.Errorf("%s: Addr() = %q, want %q", name, s.Addr(), want)
		}
	}
}

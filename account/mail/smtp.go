package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes of [SMTPConfig.TLS].
const (
	// TLSStartTLS connects in plaintext and requires the server to offer
	// STARTTLS; the message is only sent once the connection is encrypted.
	// It is the default (usually port 587).
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (usually port 465).
	TLSImplicit = "implicit"
	// TLSNone never encrypts. It is only sensible for a relay on loopback;
	// PLAIN and LOGIN credentials are then only sent to localhost,
	// 127.0.0.1 or ::1.
	TLSNone = "none"
)

// DefaultSMTPTimeout is the timeout used when [SMTPConfig.Timeout] is zero.
const DefaultSMTPTimeout = 15 * time.Second

// SMTPConfig configures an [SMTP] sender.
type SMTPConfig struct {
	// Host is the server's host name or IP address, without a port.
	Host string
	// Port is the server's TCP port, 1 to 65535 (typically 587 for
	// STARTTLS, 465 for implicit TLS, 25 for a local relay).
	Port int
	// TLS is one of TLSStartTLS (the default when empty), TLSImplicit or
	// TLSNone.
	TLS string
	// Username and Password authenticate to the server when Username is
	// set. The mechanism is chosen from what the server offers (SCRAM,
	// CRAM-MD5, PLAIN, LOGIN, ...); PLAIN and LOGIN are only used over an
	// encrypted connection or to a loopback host.
	Username string
	Password string
	// From is the sender address, e.g. "noreply@example.com". It may also be
	// written "Name <noreply@example.com>" when FromName is empty.
	From string
	// FromName is the sender's display name, e.g. the project name.
	FromName string
	// ReplyTo is an optional Reply-To address.
	ReplyTo string
	// InsecureSkipVerify disables verification of the server's certificate.
	// For tests and development only.
	InsecureSkipVerify bool
	// Timeout bounds connecting and each exchange with the server; zero
	// means DefaultSMTPTimeout.
	Timeout time.Duration
}

// SMTP is a [Sender] that delivers through an SMTP server. It opens a new
// connection for every message and is safe for concurrent use.
type SMTP struct {
	host     string // for go-mail: IPv6 literals in brackets
	tlsName  string // for certificate verification: without brackets
	port     int
	mode     string
	username string
	password string
	from     *netmail.Address
	replyTo  *netmail.Address
	insecure bool
	timeout  time.Duration
}

var _ Sender = (*SMTP)(nil)

// NewSMTP validates cfg and returns a sender for it.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	host := strings.TrimSpace(cfg.Host)
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" {
		return nil, errors.New("mail: smtp host is required")
	}
	if strings.ContainsAny(host, " \t\r\n/") {
		return nil, fmt.Errorf("mail: invalid smtp host %q", host)
	}
	goHost := host
	if strings.Contains(host, ":") {
		if net.ParseIP(host) == nil {
			return nil, fmt.Errorf("mail: smtp host %q must not contain a port; set Port", host)
		}
		goHost = "[" + host + "]"
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("mail: smtp port %d out of range 1..65535", cfg.Port)
	}
	mode := strings.ToLower(strings.TrimSpace(cfg.TLS))
	switch mode {
	case "":
		mode = TLSStartTLS
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return nil, fmt.Errorf("mail: smtp tls mode %q: want %q, %q or %q",
			cfg.TLS, TLSStartTLS, TLSImplicit, TLSNone)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("mail: negative smtp timeout %s", cfg.Timeout)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultSMTPTimeout
	}
	if cfg.Password != "" && cfg.Username == "" {
		return nil, errors.New("mail: smtp password set without a username")
	}
	if cfg.From == "" {
		return nil, errors.New("mail: from address is required")
	}
	from, err := parseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail: from address: %w", err)
	}
	if cfg.FromName != "" {
		if strings.ContainsAny(cfg.FromName, "\r\n") {
			return nil, errors.New("mail: from name contains a line break")
		}
		from.Name = cfg.FromName
	}
	s := &SMTP{
		host:     goHost,
		tlsName:  host,
		port:     cfg.Port,
		mode:     mode,
		username: cfg.Username,
		password: cfg.Password,
		from:     from,
		insecure: cfg.InsecureSkipVerify,
		timeout:  timeout,
	}
	if cfg.ReplyTo != "" {
		if s.replyTo, err = parseAddress(cfg.ReplyTo); err != nil {
			return nil, fmt.Errorf("mail: reply-to address: %w", err)
		}
	}
	return s, nil
}

// parseAddress parses a single RFC 5322 address and rejects line breaks.
func parseAddress(s string) (*netmail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("contains a line break")
	}
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not an e-mail address", s)
	}
	return a, nil
}

// Addr returns the server address the sender connects to, as host:port.
func (s *SMTP) Addr() string {
	return net.JoinHostPort(s.tlsName, strconv.Itoa(s.port))
}

// Send delivers m through the configured server. A new connection is made
// for each call; ctx bounds the connection attempt and cfg.Timeout bounds
// each exchange. Returned errors never contain the message body.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mail: send to %s: %w", m.To, err)
	}
	msg, err := s.build(m)
	if err != nil {
		return err
	}
	opts := s.options()
	if s.mode != TLSImplicit {
		// go-mail heeds ctx only while dialling: close the connection when
		// ctx ends, so that a server that stops answering cannot hold a
		// shutdown for the whole timeout. (With implicit TLS go-mail must
		// dial itself: its choice of authentication depends on it.)
		dial, stop := closeOnDone(ctx)
		defer stop()
		opts = append(opts, gomail.WithDialContextFunc(dial))
	}
	client, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return fmt.Errorf("mail: smtp client for %s: %s", s.Addr(), redact(err.Error(), m))
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		text := fmt.Sprintf("mail: send to %s via %s: %s", m.To, s.Addr(), redact(err.Error(), m))
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("%s: %w", text, cerr)
		}
		return errors.New(text)
	}
	return nil
}

// closeOnDone returns a dialer whose connections are closed when ctx ends,
// and the function that stops watching ctx.
func closeOnDone(ctx context.Context) (gomail.DialContextFunc, func() bool) {
	var mu sync.Mutex
	var conns []net.Conn
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		if ctx.Err() != nil { // ended while dialling, before the watch saw c
			c.Close()
		}
		return c, nil
	}
	return dial, stop
}

// options returns the go-mail client options of s.
func (s *SMTP) options() []gomail.Option {
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(s.timeout),
		gomail.WithTLSConfig(&tls.Config{
			ServerName:         s.tlsName,
			InsecureSkipVerify: s.insecure, //nolint:gosec // opt-in for tests and development
			MinVersion:         tls.VersionTLS12,
		}),
	}
	switch s.mode {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.username != "" {
		opts = append(opts, gomail.WithUsername(s.username), gomail.WithPassword(s.password))
		if s.mode == TLSNone {
			// go-mail's auto-discovery never picks PLAIN or LOGIN without
			// TLS. Prefer them anyway: both refuse to send credentials
			// unless the server is localhost, 127.0.0.1 or ::1.
			opts = append(opts, gomail.WithOpportunisticSMTPAuth(
				gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
				gomail.SMTPAuthCramMD5, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin))
		} else {
			opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover))
		}
	}
	return opts
}

// build validates m and turns it into a go-mail message.
func (s *SMTP) build(m Message) (*gomail.Msg, error) {
	to, err := parseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("mail: recipient: %w", err)
	}
	if m.ToName != "" {
		if strings.ContainsAny(m.ToName, "\r\n") {
			return nil, errors.New("mail: recipient name contains a line break")
		}
		to.Name = m.ToName
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, errors.New("mail: subject contains a line break")
	}
	if m.Text == "" && m.HTML == "" {
		return nil, errors.New("mail: message has no body")
	}
	msg := gomail.NewMsg()
	msg.FromMailAddress(s.from)
	msg.ToMailAddress(to)
	if s.replyTo != nil {
		msg.ReplyToMailAddress(s.replyTo)
	}
	msg.Subject(m.Subject)
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetDate()
	msg.SetMessageID()
	if m.Text != "" {
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		if m.HTML != "" {
			msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
		}
	} else {
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

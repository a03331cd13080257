package caddymodule

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"go.uber.org/zap"

	"github.com/accountgate/accountgate/account/mail"
	"github.com/accountgate/accountgate/account/sms"
)

// MailerConfig picks how mail is sent: "console" (development: printed to
// standard output, secrets included) or "smtp".
type MailerConfig struct {
	Kind string `json:"kind"`
	// Address is the SMTP server's host:port.
	Address string `json:"address,omitempty"`
	// TLS is "starttls" (default), "implicit" or "none".
	TLS                string `json:"tls,omitempty"`
	Username           string `json:"username,omitempty"`
	Password           string `json:"password,omitempty"`
	From               string `json:"from,omitempty"`
	FromName           string `json:"from_name,omitempty"`
	ReplyTo            string `json:"reply_to,omitempty"`
	InsecureSkipVerify bool   `json:"insecure_skip_verify,omitempty"`
	// Templates is a folder whose <kind>.subject/.txt/.html files replace
	// the built-in mail templates. Default: the built-in ones.
	Templates string `json:"templates,omitempty"`
}

// SMSConfig picks how SMS are sent: "console" (development) or "twilio".
type SMSConfig struct {
	Kind       string `json:"kind"`
	AccountSID string `json:"account_sid,omitempty"`
	AuthToken  string `json:"auth_token,omitempty"`
	From       string `json:"from,omitempty"`
	// BaseURL of the Twilio API. Default https://api.twilio.com.
	BaseURL string `json:"base_url,omitempty"`
}

func (c *MailerConfig) resolve(res *resolver, where string) {
	c.Address = res.value(where, c.Address)
	c.Username = res.value(where+" username", c.Username)
	c.Password = res.value(where+" password", c.Password)
	c.From = res.value(where+" from", c.From)
}

func (c *SMSConfig) resolve(res *resolver, where string) {
	c.AccountSID = res.value(where, c.AccountSID)
	c.AuthToken = res.value(where, c.AuthToken)
	c.From = res.value(where, c.From)
}

func (c *MailerConfig) validate() error {
	switch c.Kind {
	case "console":
		return nil
	case "smtp":
		var errs []error
		if _, _, err := net.SplitHostPort(c.Address); err != nil {
			errs = append(errs, fmt.Errorf("mailer smtp: address %q must be host:port", c.Address))
		}
		if c.From == "" {
			errs = append(errs, errors.New("mailer smtp: from is required"))
		}
		switch c.TLS {
		case "", "starttls", "implicit", "none":
		default:
			errs = append(errs, fmt.Errorf("mailer smtp: tls %q must be starttls, implicit or none", c.TLS))
		}
		return errors.Join(errs...)
	}
	return fmt.Errorf("unknown mailer %q (console, smtp)", c.Kind)
}

func (c *SMSConfig) validate() error {
	switch c.Kind {
	case "console":
		return nil
	case "twilio":
		if c.AccountSID == "" || c.AuthToken == "" || c.From == "" {
			return errors.New("sms twilio needs an account SID, an auth token and a from number")
		}
		return nil
	}
	return fmt.Errorf("unknown sms sender %q (console, twilio)", c.Kind)
}

// sender builds the mail sender; the console one warns that it is for
// development, since it prints secret links.
func (c *MailerConfig) sender(logger *zap.Logger, project string) (mail.Sender, error) {
	if c.Kind == "console" {
		logger.Warn("mailer console prints every mail, sign-in links included, to standard output: use it for development only", zap.String("project", project))
		return mail.NewConsole(os.Stdout), nil
	}
	host, portText, _ := net.SplitHostPort(c.Address)
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("mailer smtp: bad port in %q", c.Address)
	}
	tls := c.TLS
	if tls == "" {
		tls = "starttls"
	}
	return mail.NewSMTP(mail.SMTPConfig{Host: host, Port: port, TLS: tls, Username: c.Username, Password: c.Password,
		From: c.From, FromName: c.FromName, ReplyTo: c.ReplyTo, InsecureSkipVerify: c.InsecureSkipVerify, Timeout: 20 * time.Second})
}

func (c *SMSConfig) sender(logger *zap.Logger, project string) (sms.Sender, error) {
	if c.Kind == "console" {
		logger.Warn("sms console prints every SMS, codes included, to standard output: use it for development only", zap.String("project", project))
		return sms.NewConsole(os.Stdout), nil
	}
	return sms.NewTwilio(sms.TwilioConfig{AccountSID: c.AccountSID, AuthToken: c.AuthToken, From: c.From, BaseURL: c.BaseURL})
}

// parseMailer parses
//
//	mailer console
//	mailer smtp <host:port> {
//		tls starttls|implicit|none
//		username <name>
//		password <secret>
//		from <address>
//		from_name <name>
//		reply_to <address>
//		insecure_skip_verify
//	}
func parseMailer(d *caddyfile.Dispenser, args []string) (*MailerConfig, error) {
	if len(args) == 0 {
		return nil, d.Err("usage: mailer console | mailer smtp <host:port> { … }")
	}
	c := &MailerConfig{Kind: args[0]}
	switch {
	case args[0] == "console" && len(args) == 1:
		return c, nil
	case args[0] == "smtp" && len(args) == 2:
		c.Address = args[1]
	default:
		return nil, d.Err("usage: mailer console | mailer smtp <host:port> { … }")
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		sub := d.Val()
		if sub == "insecure_skip_verify" {
			c.InsecureSkipVerify = true
			continue
		}
		if !d.NextArg() {
			return nil, d.ArgErr()
		}
		v := d.Val()
		switch sub {
		case "tls":
			c.TLS = v
		case "username":
			c.Username = v
		case "password":
			c.Password = v
		case "from":
			c.From = v
		case "from_name":
			c.FromName = v
		case "reply_to":
			c.ReplyTo = v
		default:
			return nil, d.Errf("unrecognized subdirective %q", sub)
		}
		if d.NextArg() {
			return nil, d.ArgErr()
		}
	}
	if err := c.validate(); err != nil {
		return nil, d.Err(err.Error())
	}
	return c, nil
}

// parseSMS parses
//
//	sms console
//	sms twilio <account SID> <auth token> <from> {
//		base_url <url>
//	}
func parseSMS(d *caddyfile.Dispenser, args []string) (*SMSConfig, error) {
	usage := d.Err("usage: sms console | sms twilio <account SID> <auth token> <from number>")
	var c *SMSConfig
	switch {
	case len(args) == 1 && args[0] == "console":
		c = &SMSConfig{Kind: "console"}
	case len(args) == 4 && args[0] == "twilio":
		c = &SMSConfig{Kind: "twilio", AccountSID: args[1], AuthToken: args[2], From: args[3]}
	default:
		return nil, usage
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if d.Val() != "base_url" || !d.NextArg() {
			return nil, d.Errf("unrecognized subdirective %q", d.Val())
		}
		c.BaseURL = d.Val()
	}
	return c, nil
}

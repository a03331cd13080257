package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTwilioBaseURL is Twilio's REST API root.
const DefaultTwilioBaseURL = "https://api.twilio.com"

// DefaultTwilioTimeout is the timeout of the HTTP client made when
// TwilioConfig.HTTPClient is nil.
const DefaultTwilioTimeout = 10 * time.Second

// TwilioConfig configures a [Twilio] sender.
type TwilioConfig struct {
	// AccountSID is the Twilio account SID ("AC...").
	AccountSID string
	// AuthToken is the account's auth token (or an API key secret used
	// with the account SID).
	AuthToken string
	// From is the sending phone number in E.164 form, or an alphanumeric
	// sender ID where Twilio allows one.
	From string
	// BaseURL is the API root; empty means DefaultTwilioBaseURL. Tests point
	// it at a local server.
	BaseURL string
	// HTTPClient sends the requests; nil means a client with a
	// DefaultTwilioTimeout timeout.
	HTTPClient *http.Client
}

// Twilio is a [Sender] that sends through Twilio's Messages API. It is safe
// for concurrent use.
type Twilio struct {
	endpoint string // {BaseURL}/2010-04-01/Accounts/{SID}/Messages.json
	sid      string
	token    string
	from     string
	client   *http.Client
}

var _ Sender = (*Twilio)(nil)

// NewTwilio validates cfg and returns a sender for it.
func NewTwilio(cfg TwilioConfig) (*Twilio, error) {
	if cfg.AccountSID == "" {
		return nil, errors.New("sms: twilio account SID is required")
	}
	if strings.ContainsAny(cfg.AccountSID, "/?#% \t\r\n") {
		return nil, errors.New("sms: twilio account SID contains invalid characters")
	}
	if cfg.AuthToken == "" {
		return nil, errors.New("sms: twilio auth token is required")
	}
	if strings.TrimSpace(cfg.From) == "" {
		return nil, errors.New("sms: twilio from number is required")
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultTwilioBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("sms: twilio base URL %q: want http(s)://host[/path]", base)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: DefaultTwilioTimeout}
	}
	return &Twilio{
		endpoint: strings.TrimRight(u.String(), "/") +
			"/2010-04-01/Accounts/" + url.PathEscape(cfg.AccountSID) + "/Messages.json",
		sid:    cfg.AccountSID,
		token:  cfg.AuthToken,
		from:   strings.TrimSpace(cfg.From),
		client: client,
	}, nil
}

// TwilioError is returned by [Twilio.Send] when Twilio answers with a
// non-2xx status.
type TwilioError struct {
	// Status is the HTTP status code.
	Status int
	// Code is Twilio's error code (e.g. 21211), or 0 when the answer had
	// none.
	Code int
	// Message is Twilio's error message, if any.
	Message string
	// MoreInfo is Twilio's link to the error's documentation, if any.
	MoreInfo string
}

// Error describes the failure; it never contains the message body.
func (e *TwilioError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sms: twilio: HTTP %d", e.Status)
	if text := http.StatusText(e.Status); text != "" {
		b.WriteString(" " + text)
	}
	if e.Code != 0 {
		fmt.Fprintf(&b, ": code %d", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// twilioErrorBody is the JSON Twilio sends with an error status.
type twilioErrorBody struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
}

// maxResponse bounds how much of an answer is read.
const maxResponse = 64 << 10

// Send posts the message to Twilio. A 2xx answer means Twilio accepted it;
// any other status is returned as a *TwilioError. Errors never contain
// body or the auth token.
func (t *Twilio) Send(ctx context.Context, to, body string) error {
	to = strings.TrimSpace(to)
	if to == "" {
		return errors.New("sms: recipient phone number is required")
	}
	if body == "" {
		return errors.New("sms: message body is empty")
	}
	form := url.Values{"To": {to}, "From": {t.from}, "Body": {body}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("sms: twilio request: %s", t.clean(err.Error(), body))
	}
	req.SetBasicAuth(t.sid, t.token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	resp, err := t.client.Do(req)
	if err != nil {
		text := fmt.Sprintf("sms: twilio send to %s: %s", to, t.clean(err.Error(), body))
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("%s: %w", text, cerr)
		}
		return errors.New(text)
	}
	defer func() { _ = resp.Body.Close() }()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	e := &TwilioError{Status: resp.StatusCode}
	var eb twilioErrorBody
	if json.Unmarshal(answer, &eb) == nil {
		e.Code = eb.Code
		e.Message = t.clean(eb.Message, body)
		e.MoreInfo = eb.MoreInfo
	}
	return e
}

// clean removes the message body and the credentials from s.
func (t *Twilio) clean(s, body string) string {
	s = redact(s, body)
	return strings.ReplaceAll(s, t.token, "[redacted]")
}

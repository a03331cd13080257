package sms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "tok-0123456789abcdef"
	testFrom  = "+15005550006"
	testTo    = "+14155550100"
	testBody  = "Your Acme login code is 493817."
)

// fakeTwilio is an httptest server shaped like Twilio's Messages API.
type fakeTwilio struct {
	*httptest.Server
	mu       sync.Mutex
	requests int
	got      map[string]string
	status   int
	answer   string
}

func startTwilio(t *testing.T, status int, answer string) *fakeTwilio {
	t.Helper()
	f := &fakeTwilio{status: status, answer: answer}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests++
		f.mu.Unlock()
		if r.Method != http.MethodPost {
			http.Error(w, "method", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path != "/2010-04-01/Accounts/"+testSID+"/Messages.json" {
			http.Error(w, `{"code":20404,"message":"The requested resource was not found"}`, http.StatusNotFound)
			return
		}
		user, pass, ok := r.BasicAuth()
		if !ok || user != testSID || pass != testToken {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"code":20003,"message":"Authenticate","status":401}`)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			http.Error(w, "content type "+ct, http.StatusUnsupportedMediaType)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.got = map[string]string{"To": r.PostForm.Get("To"), "From": r.PostForm.Get("From"), "Body": r.PostForm.Get("Body")}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, f.answer)
	}))
	t.Cleanup(f.Close)
	return f
}

func newTestTwilio(t *testing.T, baseURL string) *Twilio {
	t.Helper()
	tw, err := NewTwilio(TwilioConfig{AccountSID: testSID, AuthToken: testToken, From: testFrom, BaseURL: baseURL})
	if err != nil {
		t.Fatal(err)
	}
	return tw
}

func TestTwilioSend(t *testing.T) {
	answer := fmt.Sprintf(`{"sid":"SM0123456789abcdef0123456789abcdef","account_sid":%q,"to":%q,"from":%q,`+
		`"body":%q,"status":"queued","num_segments":"1","direction":"outbound-api","api_version":"2010-04-01",`+
		`"error_code":null,"error_message":null,"uri":"/2010-04-01/Accounts/%s/Messages/SM0123.json"}`,
		testSID, testTo, testFrom, testBody, testSID)
	f := startTwilio(t, http.StatusCreated, answer)
	tw := newTestTwilio(t, f.URL+"/") // a trailing slash is tolerated
	if err := tw.Send(context.Background(), testTo, testBody); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	want := map[string]string{"To": testTo, "From": testFrom, "Body": testBody}
	for k, v := range want {
		if f.got[k] != v {
			t.Errorf("form %s = %q, want %q", k, f.got[k], v)
		}
	}
}

func TestTwilioErrorAnswer(t *testing.T) {
	f := startTwilio(t, http.StatusBadRequest,
		`{"code":21211,"message":"Invalid 'To' Phone Number","more_info":"https://www.twilio.com/docs/errors/21211","status":400}`)
	err := newTestTwilio(t, f.URL).Send(context.Background(), "+1555", testBody)
	var te *TwilioError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want *TwilioError", err)
	}
	if te.Status != 400 || te.Code != 21211 || te.Message != "Invalid 'To' Phone Number" ||
		te.MoreInfo != "https://www.twilio.com/docs/errors/21211" {
		t.Errorf("error fields %+v", te)
	}
	for _, want := range []string{"400", "21211", "Invalid 'To' Phone Number"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "493817") {
		t.Errorf("error leaks the body: %v", err)
	}
}

func TestTwilioErrorEchoingBodyIsRedacted(t *testing.T) {
	f := startTwilio(t, http.StatusBadRequest, fmt.Sprintf(`{"code":30007,"message":"Filtered: %s"}`, testBody))
	err := newTestTwilio(t, f.URL).Send(context.Background(), testTo, testBody)
	if err == nil || strings.Contains(err.Error(), "493817") {
		t.Fatalf("err = %v, want an error without the code", err)
	}
}

func TestTwilioErrorWithoutJSON(t *testing.T) {
	f := startTwilio(t, http.StatusServiceUnavailable, "<html>down</html>")
	err := newTestTwilio(t, f.URL).Send(context.Background(), testTo, testBody)
	var te *TwilioError
	if !errors.As(err, &te) || te.Status != 503 || te.Code != 0 {
		t.Fatalf("err = %v", err)
	}
}

func TestTwilioWrongCredentials(t *testing.T) {
	f := startTwilio(t, http.StatusCreated, `{}`)
	tw, err := NewTwilio(TwilioConfig{AccountSID: testSID, AuthToken: "wrong-token-value", From: testFrom, BaseURL: f.URL})
	if err != nil {
		t.Fatal(err)
	}
	err = tw.Send(context.Background(), testTo, testBody)
	var te *TwilioError
	if !errors.As(err, &te) || te.Status != 401 || te.Code != 20003 {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "wrong-token-value") {
		t.Errorf("error leaks the token: %v", err)
	}
}

func TestTwilioServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	tw, err := NewTwilio(TwilioConfig{
		AccountSID: testSID, AuthToken: testToken, From: testFrom, BaseURL: "http://" + addr,
		HTTPClient: &http.Client{Timeout: time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = tw.Send(context.Background(), testTo, testBody)
	if err == nil {
		t.Fatal("send to a closed port succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s", d)
	}
	if strings.Contains(err.Error(), "493817") || strings.Contains(err.Error(), testToken) {
		t.Errorf("error leaks secrets: %v", err)
	}
}

func TestTwilioCanceledContext(t *testing.T) {
	f := startTwilio(t, http.StatusCreated, `{}`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := newTestTwilio(t, f.URL).Send(ctx, testTo, testBody)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.requests != 0 {
		t.Errorf("%d requests reached the server", f.requests)
	}
}

func TestTwilioRejectsEmpty(t *testing.T) {
	f := startTwilio(t, http.StatusCreated, `{}`)
	tw := newTestTwilio(t, f.URL)
	if err := tw.Send(context.Background(), "", testBody); err == nil {
		t.Error("empty recipient accepted")
	}
	if err := tw.Send(context.Background(), testTo, ""); err == nil {
		t.Error("empty body accepted")
	}
}

func TestNewTwilioValidates(t *testing.T) {
	ok := TwilioConfig{AccountSID: testSID, AuthToken: testToken, From: testFrom}
	for name, mut := range map[string]func(*TwilioConfig){
		"no sid":      func(c *TwilioConfig) { c.AccountSID = "" },
		"sid path":    func(c *TwilioConfig) { c.AccountSID = "AC/../x" },
		"no token":    func(c *TwilioConfig) { c.AuthToken = "" },
		"no from":     func(c *TwilioConfig) { c.From = " " },
		"bad scheme":  func(c *TwilioConfig) { c.BaseURL = "ftp://api.twilio.com" },
		"no host":     func(c *TwilioConfig) { c.BaseURL = "https://" },
		"query":       func(c *TwilioConfig) { c.BaseURL = "https://api.twilio.com/?x=1" },
		"not a url":   func(c *TwilioConfig) { c.BaseURL = "::" },
		"userinfo in": func(c *TwilioConfig) { c.BaseURL = "https://u:p@api.twilio.com" },
	} {
		c := ok
		mut(&c)
		if _, err := NewTwilio(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	tw, err := NewTwilio(ok)
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://api.twilio.com/2010-04-01/Accounts/" + testSID + "/Messages.json"; tw.endpoint != want {
		t.Errorf("endpoint %q, want %q", tw.endpoint, want)
	}
	if tw.client == nil || tw.client.Timeout != DefaultTwilioTimeout {
		t.Errorf("default client %+v", tw.client)
	}
}

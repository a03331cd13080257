package pages_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/mail"
	"github.com/accountgate/accountgate/account/pages"
	"github.com/accountgate/accountgate/store/sqlite"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// outbox captures mails and text messages.
type outbox struct {
	mu    sync.Mutex
	mails []mail.Message
	texts []string
}

func (o *outbox) Send(_ context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.mails = append(o.mails, m)
	return nil
}

type smsBox struct{ *outbox }

func (s smsBox) Send(_ context.Context, to, body string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.texts = append(s.texts, body)
	return nil
}

// waitFor waits for the delivery worker to hand over message n (1-based)
// of list; delivery runs in the background.
func (o *outbox) waitFor(t *testing.T, n int, list func() []string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		o.mu.Lock()
		l := list()
		o.mu.Unlock()
		if len(l) >= n {
			return l[n-1]
		}
	}
	t.Fatalf("message %d never arrived", n)
	return ""
}

func (o *outbox) mail(t *testing.T, n int) string {
	return o.waitFor(t, n, func() []string {
		var l []string
		for _, m := range o.mails {
			l = append(l, m.Text)
		}
		return l
	})
}

func (o *outbox) text(t *testing.T, n int) string {
	return o.waitFor(t, n, func() []string { return o.texts })
}

var linkPattern = regexp.MustCompile(`https?://[^\s"<>]+`)

// site is a project's API and pages behind one test server.
type site struct {
	t     *testing.T
	srv   *httptest.Server
	svc   *account.Service
	pages *pages.Pages
	box   *outbox
	clock *fakeClock
}

func newSite(t *testing.T, editAccount func(*core.Config), editPages func(*pages.Config)) *site {
	t.Helper()
	s := &site{t: t, box: &outbox{}, clock: &fakeClock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}}
	var handler http.Handler
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(s.srv.Close)
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/test.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := core.Config{
		ProjectID: "test", Store: st, Platforms: []string{"127.0.0.1"}, PublicURL: s.srv.URL,
		Password: core.PasswordConfig{Memory: 64, Time: 1, Threads: 1}, Now: s.clock.Now,
		RateLimits: core.RateLimitConfig{Off: true}, Mailer: s.box, SMS: smsBox{s.box},
	}
	if editAccount != nil {
		editAccount(&cfg)
	}
	if s.svc, err = account.New(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.svc.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	pcfg := pages.Config{ProjectID: "test", PublicURL: s.srv.URL, Product: "Demo Site",
		EmailPassword: true, MagicURL: true, Phone: true, OAuth2: []string{"github"}}
	if editPages != nil {
		editPages(&pcfg)
	}
	if s.pages, err = pages.New(pcfg); err != nil {
		t.Fatal(err)
	}
	api := s.svc.APIHandler()
	handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case s.pages.Owns(r.URL.Path):
			s.pages.Serve(w, r, api)
		case httpapi.Owns(r.URL.Path):
			api.ServeHTTP(w, r)
		default:
			w.Write([]byte("app " + r.URL.RequestURI()))
		}
	})
	return s
}

// browser is a person's browser: its own cookies, redirects not followed.
type browser struct {
	s      *site
	client *http.Client
	origin string
}

func (s *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{s: s, origin: s.srv.URL, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type resp struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, form url.Values) resp {
	b.s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.s.srv.URL+path, body)
	if err != nil {
		b.s.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.origin)
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: string(raw)}
}

func (b *browser) get(path string) resp { return b.do(http.MethodGet, path, nil) }

func (b *browser) post(path string, form url.Values) resp { return b.do(http.MethodPost, path, form) }

// signUp creates an account through the sign-up page and checks that it
// signs the browser in.
func (b *browser) signUp(email, password string) {
	b.s.t.Helper()
	r := b.post("/auth/signup", url.Values{"name": {"Ada"}, "email": {email}, "password": {password}, "return": {"/"}})
	if r.status != http.StatusSeeOther {
		b.s.t.Fatalf("sign-up: %d %s", r.status, r.body)
	}
}

// want fails unless r has status and its body contains every part.
func want(t *testing.T, r resp, status int, parts ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body:\n%s", r.status, status, r.body)
	}
	for _, p := range parts {
		if !strings.Contains(r.body, p) {
			t.Errorf("body lacks %q:\n%s", p, r.body)
		}
	}
}

// linkOf is the link in a mail or text, parsed.
func linkOf(t *testing.T, text string) *url.URL {
	t.Helper()
	u, err := url.Parse(linkPattern.FindString(text))
	if err != nil || u.Host == "" {
		t.Fatalf("no link in %q", text)
	}
	return u
}

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func bufCopy(w io.Writer, res *http.Response) (int64, error) { return io.Copy(w, res.Body) }

package caddymodule

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/mail"
	"github.com/accountgate/accountgate/account/verify"
	"github.com/accountgate/accountgate/store/sqlite"
)

// mailbox keeps the mails a service sends.
type mailbox struct {
	mu    sync.Mutex
	mails []mail.Message
}

func (m *mailbox) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mails = append(m.mails, msg)
	return nil
}

func (m *mailbox) wait(t *testing.T, n int) mail.Message {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		m.mu.Lock()
		if len(m.mails) >= n {
			msg := m.mails[n-1]
			m.mu.Unlock()
			return msg
		}
		m.mu.Unlock()
	}
	t.Fatalf("mail %d never arrived", n)
	return mail.Message{}
}

// opsFixture is a project wired as instrument wires it (timed store,
// metrics, security log) with a registry and a log that the test reads.
type opsFixture struct {
	t       *testing.T
	project string
	secret  string
	svc     *account.Service
	store   *sqlite.Store
	reg     *prometheus.Registry
	logs    *observer.ObservedLogs
	box     *mailbox
	run     func()
}

func newOpsFixture(t *testing.T, logEmails bool) *opsFixture {
	b := make([]byte, 6)
	rand.Read(b)
	f := &opsFixture{t: t, project: "ops" + hex.EncodeToString(b), secret: "project-secret-" + hex.EncodeToString(b) + "-0123456789abcdef",
		reg: prometheus.NewPedanticRegistry(), box: &mailbox{}}
	// Twice, as two configs sharing a registry would: not an error.
	for range 2 {
		if err := registerMetrics(f.reg); err != nil {
			t.Fatal(err)
		}
	}
	zcore, logs := observer.New(zapcore.DebugLevel)
	f.logs = logs
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/ops.db")
	if err != nil {
		t.Fatal(err)
	}
	f.store = st
	t.Cleanup(func() { st.Close() })
	f.svc, err = account.New(context.Background(), core.Config{ProjectID: f.project, Store: &timedStore{Store: st, project: f.project},
		Observer: newProjectObserver(f.project, zap.New(zcore).Named("accountgate"), logEmails),
		Secret:   []byte(f.secret), PublicURL: "http://localhost", Platforms: []string{"localhost"}, Mailer: f.box,
		Password:   core.PasswordConfig{Memory: 64, Time: 1, Threads: 1},
		RateLimits: core.RateLimitConfig{Limits: map[string]int{"sessions.email": 2}},
		// Mid-hour and still: the rate-limit window never rolls over
		// during the scenario.
		Now: func() time.Time { return time.Date(2026, 5, 6, 7, 30, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	metrics.outboxDepth.set(f, f.project, st)
	t.Cleanup(func() { metrics.outboxDepth.drop(f, f.project) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	f.run = func() { go func() { f.svc.Run(ctx); close(done) }() }
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(100 * time.Millisecond): // never started
		}
	})
	return f
}

// call sends an API request and returns the recorder.
func (f *opsFixture) call(method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://localhost"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	f.svc.APIHandler().ServeHTTP(rec, req)
	return rec
}

func (f *opsFixture) mustCall(wantStatus int, method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	f.t.Helper()
	rec := f.call(method, path, body, hdr...)
	if rec.Code != wantStatus {
		f.t.Fatalf("%s %s: %d %s, want %d", method, path, rec.Code, rec.Body.String(), wantStatus)
	}
	return rec
}

// signIn returns the session cookie ("name=value").
func (f *opsFixture) signIn(email, password string) string {
	f.t.Helper()
	rec := f.mustCall(201, "POST", "/v1/account/sessions/email", `{"email":"`+email+`","password":"`+password+`"}`)
	for _, c := range rec.Result().Cookies() {
		if c.Name == "a_session_"+f.project {
			return c.Name + "=" + c.Value
		}
	}
	f.t.Fatal("no session cookie")
	return ""
}

// gate sends a GET with cookie through a gate requiring require.
func (f *opsFixture) gate(cookie string, require ...string) int {
	return f.gateRequest("GET", "", cookie, require...)
}

// gateRequest sends a request with cookie (and Origin, if set) through a
// gate requiring require.
func (f *opsFixture) gateRequest(method, origin, cookie string, require ...string) int {
	slot := newProjectSlot(f.project)
	slot.set(f.svc)
	g := &Gate{Project: f.project, Require: require, slot: slot, headers: verify.DefaultHeaderNames()}
	req := httptest.NewRequest(method, "http://localhost/app", nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	rec := httptest.NewRecorder()
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error { w.WriteHeader(200); return nil })
	if err := g.ServeHTTP(rec, req, next); err != nil {
		f.t.Fatal(err)
	}
	return rec.Code
}

// scrape reads the registry as Prometheus does and returns this
// project's samples (and the Redis ones) by `name{label="v",…}`, labels
// sorted, the project label left out.
func (f *opsFixture) scrape() map[string]float64 {
	f.t.Helper()
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(f.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}).
		ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		f.t.Fatalf("scrape: %d %s", rec.Code, rec.Body.String())
	}
	return parseSamples(f.t, rec.Body.String(), f.project)
}

var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
var labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

func parseSamples(t *testing.T, text, project string) map[string]float64 {
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "accountgate_") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("unparsable sample %q", line)
		}
		var labels []string
		ours := !strings.Contains(m[2], `project="`)
		for _, p := range labelPair.FindAllStringSubmatch(m[2], -1) {
			if p[1] == "project" {
				ours = p[2] == project
				continue
			}
			labels = append(labels, p[1]+`="`+p[2]+`"`)
		}
		if !ours {
			continue
		}
		sort.Strings(labels)
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		out[m[1]+"{"+strings.Join(labels, ",")+"}"] = v
	}
	return out
}

// scenario is the scripted run shared by the metrics and log tests. It
// returns every secret it saw, for the log test to look for.
func (f *opsFixture) scenario() (secrets []string) {
	t := f.t
	f.mustCall(201, "POST", "/v1/account", `{"userId":"unique()","email":"alice@example.com","password":"alice-password-1"}`)
	f.mustCall(401, "POST", "/v1/account/sessions/email", `{"email":"alice@example.com","password":"wrong-password-9"}`)
	alice := f.signIn("alice@example.com", "alice-password-1")
	for range 2 { // a cache miss, then a hit
		if f.gate(alice) != 200 {
			t.Fatal("the gate refused a signed-in user")
		}
	}
	if f.gate("") != 401 || f.gate(alice, "verified_email") == 200 {
		t.Fatal("the gate let a guest or an unverified user through")
	}
	if f.gateRequest("POST", "http://evil.test", alice) != 403 {
		t.Fatal("the gate let a cross-site write with the session cookie through")
	}
	var jwt struct{ JWT string }
	json.Unmarshal(f.mustCall(201, "POST", "/v1/account/jwt", "", "Cookie", alice).Body.Bytes(), &jwt)
	f.mustCall(403, "PATCH", "/v1/account/name", `{"name":"x"}`, "Cookie", alice, "Origin", "http://evil.test")

	// The recovery mail waits in the outbox until the worker runs.
	f.mustCall(201, "POST", "/v1/account/recovery", `{"email":"alice@example.com","url":"http://localhost/reset"}`)
	if got := f.scrape()["accountgate_outbox_depth{}"]; got != 1 {
		t.Fatalf("outbox depth %v before delivery, want 1", got)
	}
	f.run()
	link, _ := url.Parse(regexp.MustCompile(`http://\S+`).FindString(f.box.wait(t, 1).Text))
	q := link.Query()
	f.mustCall(200, "PUT", "/v1/account/recovery", `{"userId":"`+q.Get("userId")+`","secret":"`+q.Get("secret")+
		`","password":"alice-password-2","passwordAgain":"alice-password-2"}`)

	for range 2 {
		f.mustCall(401, "POST", "/v1/account/sessions/email", `{"email":"bob@example.com","password":"bob-password-1"}`)
	}
	f.mustCall(429, "POST", "/v1/account/sessions/email", `{"email":"bob@example.com","password":"bob-password-1"}`)

	f.mustCall(201, "POST", "/v1/account", `{"userId":"unique()","email":"carol@example.com","password":"carol-password-1"}`)
	carol := f.signIn("carol@example.com", "carol-password-1")
	f.mustCall(200, "PATCH", "/v1/account/status", "", "Cookie", carol)
	if f.gate(carol) != 401 {
		t.Fatal("the gate let a blocked user through")
	}
	_, aliceValue, _ := strings.Cut(alice, "=")
	_, carolValue, _ := strings.Cut(carol, "=")
	return []string{"alice-password-1", "alice-password-2", "wrong-password-9", "bob-password-1", "carol-password-1",
		aliceValue, carolValue, jwt.JWT, q.Get("secret"), f.secret}
}

// TestMetricsAfterScenario scrapes the registry after the scripted run
// and checks each count.
func TestMetricsAfterScenario(t *testing.T) {
	f := newOpsFixture(t, false)
	f.scenario()
	// The delivery is counted right after the mail is handed over.
	var got map[string]float64
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		got = f.scrape()
		if got[`accountgate_deliveries_total{channel="email",result="sent"}`] == 1 || time.Now().After(deadline) {
			break
		}
	}
	want := map[string]float64{
		`accountgate_sign_ins_total{method="email-password",result="success"}`:           2,
		`accountgate_sign_ins_total{method="email-password",result="failure"}`:           3,
		`accountgate_sign_ups_total{method="email-password"}`:                            2,
		`accountgate_rate_limit_refusals_total{limit="sessions.email"}`:                  1,
		`accountgate_gate_decisions_total{decision="allowed",reason=""}`:                 2,
		`accountgate_gate_decisions_total{decision="refused",reason="unauthenticated"}`:  1,
		`accountgate_gate_decisions_total{decision="refused",reason="unverified_email"}`: 1,
		`accountgate_gate_decisions_total{decision="refused",reason="blocked"}`:          1,
		`accountgate_gate_decisions_total{decision="refused",reason="csrf"}`:             1,
		// Misses: alice's first gate request, carol's block, carol at the
		// gate after the block dropped her from the cache. Hits: alice's
		// second, third and fourth gate requests, her JWT, her refused
		// PATCH.
		`accountgate_session_cache_lookups_total{result="miss"}`:                         3,
		`accountgate_session_cache_lookups_total{result="local_hit"}`:                    5,
		`accountgate_deliveries_total{channel="email",result="sent"}`:                    1,
		`accountgate_outbox_depth{}`:                                                     0,
		`accountgate_security_events_total{event="jwt_created",result="success"}`:        1,
		`accountgate_security_events_total{event="origin_refused",result="refused"}`:     1,
		`accountgate_security_events_total{event="block",result="success"}`:              1,
		`accountgate_security_events_total{event="recovery",result="success"}`:           2,
		`accountgate_security_events_total{event="gate",result="refused"}`:               3,
		`accountgate_store_call_duration_seconds_count{operation="CreateUser"}`:          2,
		`accountgate_store_call_duration_seconds_count{operation="SessionBySecretHash"}`: 3,
		// Two sign-ups, five sign-ins, one new password.
		`accountgate_password_hash_wait_seconds_count{}`: 8,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	for k := range got {
		if strings.HasPrefix(k, "accountgate_password_hash_busy_total") && got[k] != 0 {
			t.Errorf("%s = %v, want 0", k, got[k])
		}
	}
	if t.Failed() {
		var lines []string
		for k, v := range got {
			lines = append(lines, k+" "+strconv.FormatFloat(v, 'g', -1, 64))
		}
		sort.Strings(lines)
		t.Logf("scraped:\n%s", strings.Join(lines, "\n"))
	}
}

// TestMetricsMeasurements: the timings the scenario cannot provoke.
func TestMetricsMeasurements(t *testing.T) {
	f := newOpsFixture(t, false)
	obs := newProjectObserver(f.project, zap.NewNop(), false)
	ctx := context.Background()
	obs.Observe(ctx, core.Event{Kind: core.EventRevocationLag, Duration: 40 * time.Millisecond})
	obs.Observe(ctx, core.Event{Kind: core.EventPasswordWait, Duration: 3 * time.Second, Result: "busy"})
	obs.Observe(ctx, core.Event{Kind: core.EventDelivery, Channel: "sms", Result: "failed"})
	got := f.scrape()
	for k, v := range map[string]float64{
		`accountgate_revocation_lag_seconds_count{}`:                  1,
		`accountgate_revocation_lag_seconds_sum{}`:                    0.04,
		`accountgate_password_hash_busy_total{}`:                      1,
		`accountgate_password_hash_wait_seconds_bucket{le="2"}`:       0,
		`accountgate_password_hash_wait_seconds_bucket{le="3"}`:       1,
		`accountgate_deliveries_total{channel="sms",result="failed"}`: 1,
	} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

// TestSecurityLogAfterScenario reads the security log of the scripted run:
// one line per event, under accountgate.security, with who and why, and
// no password, token, cookie, secret or full email anywhere in the log.
func TestSecurityLogAfterScenario(t *testing.T) {
	f := newOpsFixture(t, false)
	secrets := f.scenario()
	secrets = append(secrets, "alice@example.com", "bob@example.com", "carol@example.com")

	var lines []string
	for _, e := range f.logs.FilterLoggerName("accountgate.security").All() {
		m := e.ContextMap()
		if m["project"] != f.project {
			t.Errorf("line without its project: %v", m)
		}
		line := e.Level.String() + " " + m["event"].(string)
		for _, k := range []string{"result", "method", "reason", "stage", "limit", "email_masked"} {
			if v, ok := m[k]; ok {
				line += " " + k + "=" + v.(string)
			}
		}
		if _, ok := m["client_ip"]; !ok {
			t.Errorf("line without client_ip: %v", m)
		}
		lines = append(lines, line)
	}
	want := []string{
		"info sign_up result=success method=email-password email_masked=a***@example.com",
		"warn sign_in result=failure method=email-password reason=user_invalid_credentials email_masked=a***@example.com",
		"info sign_in result=success method=email-password email_masked=a***@example.com",
		"warn gate result=refused reason=unverified_email email_masked=a***@example.com",
		"warn gate result=refused reason=csrf email_masked=a***@example.com",
		"info jwt_created result=success method=jwt",
		"warn origin_refused result=refused reason=general_unknown_origin",
		"info recovery result=success stage=requested email_masked=a***@example.com",
		"info recovery result=success stage=completed email_masked=a***@example.com",
		"warn sign_in result=failure method=email-password reason=user_invalid_credentials email_masked=b***@example.com",
		"warn sign_in result=failure method=email-password reason=user_invalid_credentials email_masked=b***@example.com",
		"warn rate_limited result=refused limit=sessions.email",
		"info sign_up result=success method=email-password email_masked=c***@example.com",
		"info sign_in result=success method=email-password email_masked=c***@example.com",
		"info block result=success email_masked=c***@example.com",
		"warn gate result=refused reason=blocked",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("security log:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, e := range f.logs.All() {
		body, _ := json.Marshal(e.ContextMap())
		text := e.LoggerName + " " + e.Message + " " + string(body)
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("log line carries %q: %s", s, text)
			}
		}
	}
}

// TestSecurityLogEmails: with log_emails the addresses are logged whole.
func TestSecurityLogEmails(t *testing.T) {
	f := newOpsFixture(t, true)
	f.mustCall(201, "POST", "/v1/account", `{"userId":"unique()","email":"dave@example.com","password":"dave-password-1"}`)
	entries := f.logs.FilterLoggerName("accountgate.security").All()
	if len(entries) != 1 {
		t.Fatalf("%d lines, want 1", len(entries))
	}
	m := entries[0].ContextMap()
	if m["email"] != "dave@example.com" || m["email_masked"] != nil || m["user_id"] == "" {
		t.Errorf("sign-up line with log_emails: %v", m)
	}
}

// TestOutboxDepthAcrossReload: a reload provisions the new config (same
// pooled store) before the old one is cleaned up; the old cleanup must not
// take the project's gauge away.
func TestOutboxDepthAcrossReload(t *testing.T) {
	f := newOpsFixture(t, false)
	projects := map[string]*Project{f.project: {}}
	oldApp, newApp := &App{Projects: projects}, &App{Projects: projects}
	metrics.outboxDepth.set(oldApp, f.project, f.store)
	metrics.outboxDepth.set(newApp, f.project, f.store)
	oldApp.forgetOps()
	if _, ok := f.scrape()["accountgate_outbox_depth{}"]; !ok {
		t.Fatal("the old config's cleanup removed the new config's outbox gauge")
	}
	newApp.forgetOps()
	if _, ok := f.scrape()["accountgate_outbox_depth{}"]; ok {
		t.Fatal("the gauge outlived the config that set it")
	}
}

// TestRedisCallsCountedOnceAcrossReloads: the pooled Redis client gets its
// timing hook once, however many configs (reloads) acquire it.
func TestRedisCallsCountedOnceAcrossReloads(t *testing.T) {
	redisURL := os.Getenv("ACCOUNTGATE_TEST_REDIS")
	if redisURL == "" {
		t.Skip("set ACCOUNTGATE_TEST_REDIS to run this test")
	}
	f := newOpsFixture(t, false)
	c := CacheConfig{Kind: "redis", URL: redisURL, KeyPrefix: f.project + ":"}
	ctx := context.Background()
	first, err := acquireCache(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	second, err := acquireCache(ctx, c) // a reload
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { caches.Delete(cacheKey(c)); caches.Delete(cacheKey(c)) })
	if first != second {
		t.Fatal("the reload opened another client")
	}
	const key = `accountgate_redis_call_duration_seconds_count{command="ping",result="ok"}`
	before := f.scrape()[key]
	if err := second.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.scrape()[key] - before; got != 1 {
		t.Errorf("one ping counted %v times", got)
	}
}

package caddymodule

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accountgate/accountgate/account/core"
)

// The collectors live for the process, so counts survive config reloads;
// each config's registry (Caddy makes one per config) registers them
// again. Labels never carry a user, email, session or IP.
const metricsNS = "accountgate"

// latencyBuckets suit store and Redis calls: 0.5 ms to 5 s.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

var metrics = struct {
	signIns        *prometheus.CounterVec
	signUps        *prometheus.CounterVec
	securityEvents *prometheus.CounterVec
	gateDecisions  *prometheus.CounterVec
	cacheLookups   *prometheus.CounterVec
	rateLimited    *prometheus.CounterVec
	deliveries     *prometheus.CounterVec
	storeCalls     *prometheus.HistogramVec
	redisCalls     *prometheus.HistogramVec
	passwordWait   *prometheus.HistogramVec
	passwordBusy   *prometheus.CounterVec
	revocationLag  *prometheus.HistogramVec
	outboxDepth    *outboxCollector
}{
	signIns: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metricsNS, Name: "sign_ins_total",
		Help: "Sign-ins by method and result (success, failure)."}, []string{"project", "method", "result"}),
	signUps: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metricsNS, Name: "sign_ups_total",
		Help: "Accounts created, by method (email-password, anonymous, magic-url, phone, oauth2)."}, []string{"project", "method"}),
	securityEvents: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metricsNS, Name: "security_events_total",
		Help: "Security events (one per security-log line), by event and result."}, []string{"project", "event", "result"}),
	gateDecisions: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metricsNS, Name: "gate_decisions_total",
		Help: "Gate decisions: allowed, or refused by reason."}, []string{"project", "decision", "reason"}),
	cacheLookups: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metricsNS, Name: "session_cache_lookups_total",
		Help: "Session and JWT verifications by cache result (local_hit, shared_hit, miss)."}, []string{"project", "result"}),
	rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metricsNS, Name: "rate_limit_refusals_total",
		Help: "Requests refused by a rate limit, by limit name."}, []string{"project", "limit"}),
	deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metricsNS, Name: "deliveries_total",
		Help: "Outbox delivery attempts by channel (email, sms) and result (sent, failed, dropped)."}, []string{"project", "channel", "result"}),
	storeCalls: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: metricsNS, Name: "store_call_duration_seconds",
		Help: "Store calls by operation.", Buckets: latencyBuckets}, []string{"project", "operation"}),
	redisCalls: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: metricsNS, Name: "redis_call_duration_seconds",
		Help: "Redis commands by command name and result (ok, error).", Buckets: latencyBuckets}, []string{"command", "result"}),
	passwordWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: metricsNS, Name: "password_hash_wait_seconds",
		Help: "Time password hashes waited for a free argon2 slot.", Buckets: []float64{0, .001, .01, .05, .1, .25, .5, 1, 2, 3, 5}},
		[]string{"project"}),
	passwordBusy: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metricsNS, Name: "password_hash_busy_total",
		Help: "Requests refused with general_server_busy: no argon2 slot came free in time."}, []string{"project"}),
	revocationLag: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: metricsNS, Name: "revocation_lag_seconds",
		Help:    "Time from publishing a revocation to its arrival on this instance.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}, []string{"project"}),
	outboxDepth: &outboxCollector{
		desc:    prometheus.NewDesc(metricsNS+"_outbox_depth", "Messages waiting in the outbox.", []string{"project"}, nil),
		sources: map[string]depthSource{},
	},
}

// registerMetrics adds the collectors to reg. Registering twice in one
// registry (several apps provisioned in one context) is not an error.
func registerMetrics(reg *prometheus.Registry) error {
	if reg == nil {
		return nil
	}
	m := &metrics
	var errs []error
	for _, c := range []prometheus.Collector{m.signIns, m.signUps, m.securityEvents, m.gateDecisions, m.cacheLookups,
		m.rateLimited, m.deliveries, m.storeCalls, m.redisCalls, m.passwordWait, m.passwordBusy, m.revocationLag, m.outboxDepth} {
		if err := reg.Register(c); err != nil {
			var dup prometheus.AlreadyRegisteredError
			if !errors.As(err, &dup) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// outboxCollector reads each project's outbox depth from its store when
// scraped, so every instance reports the shared queue as it is.
type outboxCollector struct {
	desc    *prometheus.Desc
	mu      sync.Mutex
	sources map[string]depthSource
}

// depthSource is the store a project's gauge reads and the config (owner)
// that set it.
type depthSource struct {
	owner any
	store core.StoreStatus
}

// set makes st the store whose outbox project's gauge reports; the last
// config provisioned (owner) wins.
func (c *outboxCollector) set(owner any, project string, st core.StoreStatus) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sources[project] = depthSource{owner: owner, store: st}
}

// drop forgets project's store if owner set it. A reload shares the
// store between the old and the new config, so the owner decides: the
// old config's cleanup must not remove what the new one set.
func (c *outboxCollector) drop(owner any, project string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sources[project].owner == owner {
		delete(c.sources, project)
	}
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect counts each outbox with a short timeout; a store that does not
// answer leaves its project out of this scrape.
func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	sources := make(map[string]core.StoreStatus, len(c.sources))
	for p, src := range c.sources {
		sources[p] = src.store
	}
	c.mu.Unlock()
	for project, st := range sources {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		n, err := st.OutboxDepth(ctx)
		cancel()
		if err == nil {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), project)
		}
	}
}

// observeRedisCall records one Redis command.
func observeRedisCall(command string, d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	metrics.redisCalls.WithLabelValues(strings.ToLower(command), result).Observe(d.Seconds())
}

// projectMetrics counts one project's events. The gate's hot-path
// counters are resolved once.
type projectMetrics struct {
	project     string
	gateAllowed prometheus.Counter
	localHit    prometheus.Counter
	sharedHit   prometheus.Counter
	miss        prometheus.Counter
}

func newProjectMetrics(project string) *projectMetrics {
	return &projectMetrics{
		project:     project,
		gateAllowed: metrics.gateDecisions.WithLabelValues(project, core.ResultAllowed, ""),
		localHit:    metrics.cacheLookups.WithLabelValues(project, "local_hit"),
		sharedHit:   metrics.cacheLookups.WithLabelValues(project, "shared_hit"),
		miss:        metrics.cacheLookups.WithLabelValues(project, "miss"),
	}
}

// observe counts e.
func (m *projectMetrics) observe(e core.Event) {
	p := m.project
	switch e.Kind {
	case core.EventGate:
		if e.Result == core.ResultAllowed {
			m.gateAllowed.Inc()
			return
		}
		metrics.gateDecisions.WithLabelValues(p, e.Result, e.Reason).Inc()
	case core.EventCacheLookup:
		switch e.Result {
		case "local_hit":
			m.localHit.Inc()
		case "shared_hit":
			m.sharedHit.Inc()
		default:
			m.miss.Inc()
		}
	case core.EventSignIn:
		metrics.signIns.WithLabelValues(p, e.Method, e.Result).Inc()
	case core.EventSignUp:
		metrics.signUps.WithLabelValues(p, e.Method).Inc()
	case core.EventRateLimited:
		metrics.rateLimited.WithLabelValues(p, e.Limit).Inc()
	case core.EventDelivery:
		metrics.deliveries.WithLabelValues(p, e.Channel, e.Result).Inc()
	case core.EventPasswordWait:
		metrics.passwordWait.WithLabelValues(p).Observe(e.Duration.Seconds())
		if e.Result == "busy" {
			metrics.passwordBusy.WithLabelValues(p).Inc()
		}
	case core.EventRevocationLag:
		metrics.revocationLag.WithLabelValues(p).Observe(e.Duration.Seconds())
	}
	if isSecurityEvent(e) {
		metrics.securityEvents.WithLabelValues(p, string(e.Kind), e.Result).Inc()
	}
}

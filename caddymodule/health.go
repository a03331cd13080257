package caddymodule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
)

func init() {
	caddy.RegisterModule(Health{})
	httpcaddyfile.RegisterHandlerDirective("account_health", func(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
		v := new(Health)
		return v, v.UnmarshalCaddyfile(h.Dispenser)
	})
	// Before the API and the gate: a load balancer's probe needs no session.
	httpcaddyfile.RegisterDirectiveOrder("account_health", httpcaddyfile.After, "forward_auth")
}

// Health answers load balancers' probes for one project: liveness (the
// process serves requests) or readiness (its store and, when configured,
// Redis answer). It is terminal: it never calls the next handler.
type Health struct {
	// Project is the id of a project of the accountgate app; required.
	Project string `json:"project"`
	// Check is "live" or "ready". Default "ready".
	Check string `json:"check,omitempty"`
	// Timeout bounds each dependency's check. Default 1.5s.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	ops    *atomic.Pointer[projectOps] // filled when the app starts
	logger *zap.Logger
	// failing remembers the last readiness result, so that only changes
	// are logged and a probe every second does not flood the log.
	failing *atomic.Bool
}

// defaultHealthTimeout is short: a probe must answer well before the load
// balancer's own timeout, which is often 2 to 5 s.
const defaultHealthTimeout = 1500 * time.Millisecond

// CaddyModule returns the Caddy module information.
func (Health) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.account_health", New: func() caddy.Module { return new(Health) }}
}

// Provision finds what the project's readiness depends on.
func (h *Health) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	h.failing = new(atomic.Bool)
	app, err := appFrom(ctx)
	if err != nil {
		return err
	}
	if _, err := app.slot(h.Project); err != nil {
		return err
	}
	h.ops = app.opsSlot(h.Project)
	if h.Check == "" {
		h.Check = "ready"
	}
	if h.Timeout <= 0 {
		h.Timeout = caddy.Duration(defaultHealthTimeout)
	}
	return nil
}

// Validate checks the handler's own configuration.
func (h *Health) Validate() error {
	var errs []error
	if h.Project == "" {
		errs = append(errs, errors.New("account_health: a project id is required"))
	}
	if h.Check != "" && h.Check != "live" && h.Check != "ready" {
		errs = append(errs, fmt.Errorf("account_health: unknown check %q (live, ready)", h.Check))
	}
	if h.Timeout < 0 {
		errs = append(errs, errors.New("account_health: timeout must not be negative"))
	}
	return errors.Join(errs...)
}

// healthCheck is one dependency's result.
type healthCheck struct {
	Status     string `json:"status"`
	Kind       string `json:"kind,omitempty"`
	DurationMS int64  `json:"duration_ms"`
	// err is logged on a change, never sent: it may name hosts.
	err error
}

// healthReport is the response body.
type healthReport struct {
	Status string                 `json:"status"`
	Checks map[string]healthCheck `json:"checks,omitempty"`
}

// ServeHTTP answers 200 {"status":"pass",…} or 503 {"status":"fail",…}.
func (h *Health) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	report := healthReport{Status: "pass"}
	if h.Check == "ready" {
		report = h.ready(r.Context())
	}
	status := http.StatusOK
	if report.Status != "pass" {
		status = http.StatusServiceUnavailable
	}
	body, err := json.Marshal(report)
	if err != nil {
		return err
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, err = w.Write(body)
	}
	return err
}

// ready pings the store and Redis at once, each within the timeout.
// Before the app has started (and opened them) it is not ready.
func (h *Health) ready(ctx context.Context) healthReport {
	ops := h.ops.Load()
	if ops == nil {
		return healthReport{Status: "fail", Checks: map[string]healthCheck{"start": {Status: "fail"}}}
	}
	type probe struct {
		name string
		kind string
		ping func(context.Context) error
	}
	probes := []probe{{"store", ops.kind, ops.store.Ping}}
	if ops.redis != nil {
		probes = append(probes, probe{"redis", "redis", ops.redis.Ping})
	}
	results := make([]healthCheck, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(ctx, time.Duration(h.Timeout))
			defer cancel()
			start := time.Now()
			err := p.ping(pctx)
			results[i] = healthCheck{Status: "pass", Kind: p.kind, DurationMS: time.Since(start).Milliseconds(), err: err}
			if err != nil {
				results[i].Status = "fail"
			}
		})
	}
	wg.Wait()
	report := healthReport{Status: "pass", Checks: make(map[string]healthCheck, len(probes))}
	var failures []zap.Field
	for i, p := range probes {
		report.Checks[p.name] = results[i]
		if results[i].err != nil {
			report.Status = "fail"
			failures = append(failures, zap.NamedError(p.name, results[i].err))
		}
	}
	h.logChange(failures)
	return report
}

// logChange logs when readiness turns false (with the causes) or true.
func (h *Health) logChange(failures []zap.Field) {
	failing := len(failures) > 0
	if h.failing.Swap(failing) == failing {
		return
	}
	if failing {
		h.logger.Warn("not ready", append([]zap.Field{zap.String("project", h.Project)}, failures...)...)
		return
	}
	h.logger.Info("ready again", zap.String("project", h.Project))
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens:
//
//	account_health <project> [live|ready] {
//		timeout <duration>
//	}
func (h *Health) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	args := d.RemainingArgs()
	if len(args) < 1 || len(args) > 2 {
		return d.ArgErr()
	}
	h.Project = args[0]
	if len(args) == 2 {
		if args[1] != "live" && args[1] != "ready" {
			return d.Errf("unknown check %q (live, ready)", args[1])
		}
		h.Check = args[1]
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "timeout":
			v, err := durationMS(d, d.RemainingArgs())
			if err != nil {
				return err
			}
			h.Timeout = v
		default:
			return d.Errf("unrecognized subdirective %q", d.Val())
		}
	}
	return nil
}

// durationMS parses a positive duration of at most 30s (sub-second
// values allowed, unlike durationArg).
func durationMS(d *caddyfile.Dispenser, args []string) (caddy.Duration, error) {
	if len(args) != 1 {
		return 0, d.ArgErr()
	}
	v, err := caddy.ParseDuration(args[0])
	if err != nil || v <= 0 || v > 30*time.Second {
		return 0, d.Errf("%q is not a duration between 1ms and 30s", args[0])
	}
	return caddy.Duration(v), nil
}

var (
	_ caddy.Provisioner           = (*Health)(nil)
	_ caddy.Validator             = (*Health)(nil)
	_ caddyhttp.MiddlewareHandler = (*Health)(nil)
	_ caddyfile.Unmarshaler       = (*Health)(nil)
)

package caddymodule

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/assertion"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/verify"
)

func init() {
	caddy.RegisterModule(Gate{})
}

// Gate lets a request through only with a valid session of its project,
// and hands the verified identity to the next handlers as request headers
// and {http.auth.user.*} placeholders.
type Gate struct {
	// Project is the id of a project of the accountgate app; required.
	Project string `json:"project"`
	// Headers renames the identity headers. Default X-Account-Id etc.
	Headers verify.HeaderNames `json:"headers,omitempty"`
	// Require lists extra conditions: "verified_email", "verified_phone".
	Require []string `json:"require,omitempty"`
	// OnFailRedirect, if set, sends browsers (GET or HEAD with Accept:
	// text/html) without a valid session there, with the page they asked
	// for in the `return` query parameter. Default: the project's hosted
	// sign-in page (<prefix>signin?return=…) when its pages are on. API
	// clients always get the 401 JSON error.
	OnFailRedirect string `json:"on_fail_redirect,omitempty"`
	// KeepCredentials passes the session cookies and headers to the
	// upstream. Default false: the upstream never sees them.
	KeepCredentials bool `json:"keep_credentials,omitempty"`
	// CSRFOff switches off the gate's cross-site check. Default false: a
	// POST, PUT, PATCH or DELETE authenticated by the session cookie must
	// come from this site or a platform of the project (Origin, else
	// Referer), or it is refused with 403. Only for apps that defend
	// against CSRF themselves (tokens in every form).
	CSRFOff bool `json:"csrf_off,omitempty"`
	// PassPreflight lets CORS preflights (OPTIONS with
	// Access-Control-Request-Method) through to the upstream without a
	// session and without identity, for gated APIs that serve other
	// origins: browsers never send credentials on a preflight.
	PassPreflight bool `json:"pass_preflight,omitempty"`
	// Policy: deny_anonymous, allow_email_domains, allow_users,
	// allow_labels.
	Policy
	// Assertion, if set, sends the upstream a signed identity assertion
	// (an ES256 JWT) in X-Account-Assertion. Default none. Client copies
	// of that header are removed either way.
	Assertion *AssertionConfig `json:"assertion,omitempty"`

	slot    *projectSlot
	headers verify.HeaderNames
	issuer  *assertion.Issuer
	logger  *zap.Logger
}

// CaddyModule returns the Caddy module information.
func (Gate) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.account_gate", New: func() caddy.Module { return new(Gate) }}
}

// Provision finds the project's service.
func (g *Gate) Provision(ctx caddy.Context) error {
	app, err := appFrom(ctx)
	if err != nil {
		return err
	}
	if g.slot, err = app.slot(g.Project); err != nil {
		return err
	}
	g.headers = g.Headers.WithDefaults()
	// account_api strips these names too, on the routes without a gate.
	g.slot.registerHeaders(g.headers)
	g.logger = ctx.Logger()
	if g.Assertion != nil {
		g.issuer = g.slot.issuer(g.Assertion)
	}
	if g.OnFailRedirect != "" {
		p := app.Projects[g.Project]
		publicHost := ""
		if pub, err := url.Parse(p.PublicURL); err == nil {
			publicHost = pub.Hostname()
		}
		if u, _ := url.Parse(g.OnFailRedirect); u != nil && u.Host != "" && !httpapi.HostAllowed(publicHost, p.Platforms, u.Hostname()) {
			return fmt.Errorf("account_gate: on_fail redirect host %q is not a platform of project %s", u.Hostname(), g.Project)
		}
	}
	return nil
}

// Validate checks the handler's own configuration.
func (g *Gate) Validate() error {
	var errs []error
	if g.Project == "" {
		errs = append(errs, errors.New("account_gate: a project id is required"))
	}
	for _, r := range g.Require {
		if !knownRequirement(r) {
			errs = append(errs, fmt.Errorf("account_gate: unknown requirement %q (verified_email, verified_phone, mfa)", r))
		}
	}
	if err := g.Policy.validate(); err != nil {
		errs = append(errs, err)
	}
	if g.Assertion != nil {
		if err := g.Assertion.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if g.OnFailRedirect != "" {
		u, err := url.Parse(g.OnFailRedirect)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("account_gate: on_fail redirect: %v", err))
		case u.Host == "" && !strings.HasPrefix(u.Path, "/"):
			errs = append(errs, errors.New("account_gate: on_fail redirect must be an absolute path or an http(s) URL"))
		case u.Host != "" && u.Scheme != "http" && u.Scheme != "https":
			errs = append(errs, errors.New("account_gate: on_fail redirect must be an absolute path or an http(s) URL"))
		}
	}
	return errors.Join(errs...)
}

// ServeHTTP strips client copies of the identity headers on every path,
// verifies the session, then sets the verified identity and calls next.
func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	// First, always: a client must never reach the upstream with its own
	// X-Account-* headers (or trailers), whether the request is allowed
	// or not.
	svc, e := g.slot.service(r)
	if e != nil {
		httpapi.WriteError(w, e)
		return nil
	}
	svc.StripIdentity(r, g.headers)
	if g.PassPreflight && isPreflight(r) {
		return next.ServeHTTP(w, r)
	}

	p, e := g.decide(svc, r)
	if e != nil {
		g.refuse(w, r, e)
		return nil
	}
	id := p.Identity()
	g.headers.Set(r.Header, id)
	if g.issuer != nil {
		tok, err := g.issuer.Assertion(p, time.Now())
		if err != nil {
			g.logger.Error("signing an identity assertion", zap.Error(err))
			httpapi.WriteError(w, core.NewError(core.ErrGeneralServiceDisabled))
			return nil
		}
		// A slice of its own: later handlers (request_header replace)
		// may change header values in place.
		r.Header[verify.AssertionHeader] = []string{tok}
	}
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		// One lazy provider instead of eight map writes per request.
		repl.Map(func(key string) (any, bool) {
			v, ok := identityPlaceholder(id, key)
			return v, ok
		})
	}
	if !g.KeepCredentials {
		svc.StripCredentials(r.Header, p)
	}
	return next.ServeHTTP(w, r)
}

// decide verifies r's session or JWT and applies the gate's requirements,
// policy and cross-site check; the decision is observed either way.
func (g *Gate) decide(svc *account.Service, r *http.Request) (*verify.Principal, *core.Error) {
	p, e := svc.GateCheck(r)
	if e == nil {
		e = g.requirements(p)
	}
	if e == nil && slices.Contains(g.Require, "mfa") {
		e = svc.GateRequireMFA(r, p)
	}
	if e == nil {
		e = g.Policy.check(p)
	}
	if e == nil && !g.CSRFOff {
		e = svc.CheckGateOrigin(r, p)
	}
	g.observe(svc, r, p, e)
	return p, e
}

// identityPlaceholder is the value of an {http.auth.user.*} placeholder.
func identityPlaceholder(id verify.Identity, key string) (string, bool) {
	field, ok := strings.CutPrefix(key, "http.auth.user.")
	if !ok {
		return "", false
	}
	return id.Value(field)
}

// knownRequirement reports whether r is a requirement the gate knows;
// mfa (a second factor) is checked apart, in decide, as it reads the store.
func knownRequirement(r string) bool {
	return r == "verified_email" || r == "verified_phone" || r == "mfa"
}

func (g *Gate) requirements(p *verify.Principal) *core.Error {
	for _, req := range g.Require {
		switch {
		case req == "verified_email" && !p.User.EmailVerification:
			return core.Errorf(core.ErrUserUnauthorized, msgRequireEmail)
		case req == "verified_phone" && !p.User.PhoneVerification:
			return core.Errorf(core.ErrUserUnauthorized, "The phone number of this account is not verified.")
		}
	}
	return nil
}

// msgRequireEmail is the refusal of `require verified_email`.
const msgRequireEmail = "The email address of this account is not verified."

// refuse answers a request the gate does not let through: browsers go to
// the sign-in page (on_fail, else the hosted pages) or see a page saying
// why; API clients get the JSON error.
func (g *Gate) refuse(w http.ResponseWriter, r *http.Request, e *core.Error) {
	if pg := g.slot.pages; pg != nil && g.OnFailRedirect == "" && wantsHTML(r) {
		switch {
		case e.Type == core.ErrUserMoreFactorsRequired:
			seeOther(w, r, pg.MFAURL(account.ReturnPath(r)))
			return
		case needsSignIn(e):
			seeOther(w, r, pg.SignInURL(account.ReturnPath(r)))
			return
		}
	}
	if g.OnFailRedirect != "" && e.Status() == http.StatusUnauthorized && wantsHTML(r) {
		target, _ := url.Parse(g.OnFailRedirect)
		q := target.Query()
		q.Set("return", account.ReturnPath(r))
		target.RawQuery = q.Encode()
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, target.String(), http.StatusFound)
		return
	}
	// A browser refused for who it is (not for lack of a session) sees a
	// page that says why.
	if pg := g.slot.pages; pg != nil && strings.Contains(r.Header.Get("Accept"), "text/html") && e.Status() < 500 && !needsSignIn(e) {
		verify := e.Message == msgVerifyEmail || e.Message == msgRequireEmail
		pg.Refuse(w, r, e.Status(), string(e.Type), e.Message, verify)
		return
	}
	// Without the pages: a refused cross-site form post lands in the
	// browser, where a page reads better than JSON.
	if (e.Type == core.ErrGeneralUnknownOrigin || e.Type == core.ErrGeneralResourceBlocked || e.Type == core.ErrUserMFARequired) && strings.Contains(r.Header.Get("Accept"), "text/html") {
		httpapi.WriteErrorPage(w, e)
		return
	}
	httpapi.WriteError(w, e)
}

// isPreflight reports a CORS preflight: an OPTIONS request that names
// the method it asks about.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
}

// wantsHTML reports a browser navigating: GET or HEAD, accepting HTML.
func wantsHTML(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.Contains(r.Header.Get("Accept"), "text/html")
}

// needsSignIn reports a refusal that signing in lifts: no valid session.
// A blocked account, an unmet requirement or a pending second factor are
// not: sending those to sign-in would loop.
func needsSignIn(e *core.Error) bool {
	return e.Status() == http.StatusUnauthorized && e.Type != core.ErrUserBlocked &&
		e.Type != core.ErrUserUnauthorized && e.Type != core.ErrUserMoreFactorsRequired
}

// seeOther sends a browser on to target, uncached.
func seeOther(w http.ResponseWriter, r *http.Request, target string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}

// UnmarshalCaddyfile sets up the gate from Caddyfile tokens:
//
//	account_gate <project> {
//		require verified_email|verified_phone|mfa ...
//		on_fail redirect <path-or-url>
//		keep_credentials
//		pass_preflight
//		deny anonymous
//		allow_email_domains <domain> ...
//		allow_users <user id or email> ...
//		allow_labels <label> ...
//		csrf off|on
//		header id|email|name|phone|email_verified|phone_verified|session_id|session_provider <Header-Name>
//		assertion <audience> [{
//			lifetime <duration>
//		}]
//	}
func (g *Gate) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if !d.NextArg() {
		return d.ArgErr()
	}
	g.Project = d.Val()
	if d.NextArg() {
		return d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "require":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			for _, a := range args {
				if !knownRequirement(a) {
					return d.Errf("unknown requirement %q (verified_email, verified_phone, mfa)", a)
				}
			}
			g.Require = append(g.Require, args...)
		case "on_fail":
			args := d.RemainingArgs()
			if len(args) != 2 || args[0] != "redirect" {
				return d.Err("usage: on_fail redirect <path-or-url>")
			}
			g.OnFailRedirect = args[1]
		case "keep_credentials":
			if d.NextArg() {
				return d.ArgErr()
			}
			g.KeepCredentials = true
		case "pass_preflight":
			if d.NextArg() {
				return d.ArgErr()
			}
			g.PassPreflight = true
		case "deny":
			args := d.RemainingArgs()
			if len(args) != 1 || args[0] != "anonymous" {
				return d.Err("usage: deny anonymous")
			}
			g.DenyAnonymous = true
		case "allow_email_domains":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			g.AllowEmailDomains = append(g.AllowEmailDomains, args...)
		case "allow_users":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			g.AllowUsers = append(g.AllowUsers, args...)
		case "allow_labels":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			g.AllowLabels = append(g.AllowLabels, args...)
		case "csrf":
			args := d.RemainingArgs()
			if len(args) != 1 || (args[0] != "off" && args[0] != "on") {
				return d.Err("usage: csrf off|on")
			}
			g.CSRFOff = args[0] == "off"
		case "assertion":
			if err := g.unmarshalAssertion(d); err != nil {
				return err
			}
		case "header":
			args := d.RemainingArgs()
			if len(args) != 2 {
				return d.ArgErr()
			}
			if err := setHeaderName(&g.Headers, args[0], args[1]); err != nil {
				return d.Err(err.Error())
			}
		default:
			return d.Errf("unrecognized subdirective %q", d.Val())
		}
	}
	return nil
}

// unmarshalAssertion reads `assertion <audience> [{ lifetime <d> }]`.
func (g *Gate) unmarshalAssertion(d *caddyfile.Dispenser) error {
	args := d.RemainingArgs()
	if len(args) != 1 {
		return d.Err("usage: assertion <audience> [{ lifetime <duration> }]")
	}
	g.Assertion = &AssertionConfig{Audience: args[0]}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "lifetime":
			if !d.NextArg() {
				return d.ArgErr()
			}
			l, err := caddy.ParseDuration(d.Val())
			if err != nil {
				return d.Errf("assertion lifetime: %v", err)
			}
			g.Assertion.Lifetime = caddy.Duration(l)
			if d.NextArg() {
				return d.ArgErr()
			}
		default:
			return d.Errf("unrecognized assertion option %q", d.Val())
		}
	}
	return nil
}

func setHeaderName(h *verify.HeaderNames, field, name string) error {
	if !h.SetName(field, name) {
		return fmt.Errorf("unknown identity header %q", field)
	}
	return nil
}

var (
	_ caddy.Provisioner           = (*Gate)(nil)
	_ caddy.Validator             = (*Gate)(nil)
	_ caddyhttp.MiddlewareHandler = (*Gate)(nil)
	_ caddyfile.Unmarshaler       = (*Gate)(nil)
)

package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/ratelimit"
	"github.com/accountgate/accountgate/account/verify"
)

// Scope is what a route needs from the caller.
type Scope int

const (
	ScopePublic  Scope = iota // guests and users
	ScopeAccount              // a signed-in user
)

// HandlerFunc runs a route's action once the pipeline's checks passed.
type HandlerFunc func(w http.ResponseWriter, r *Request) error

// Route is one API endpoint with what the pipeline checks before its
// handler runs; the builders below set everything but the essentials.
type Route struct {
	method string
	// path holds the segments after the API's prefix; a segment in
	// braces captures a path parameter (net/http's pattern syntax).
	path   []string
	scope  Scope
	handle HandlerFunc
	// limits are the route's rate limits, if any.
	limits []RateRule
	// signIn is the sign-in method the route belongs to ("" for none).
	signIn core.AuthMethodName
	// browser routes are navigated to: their errors are pages, not JSON.
	browser bool
	// anyOrigin skips the Origin check: providers post back from their
	// own origin (Apple's form_post).
	anyOrigin bool
	// users routes live under /v1/users (the admin Users API); keyScope
	// is the API key scope they need.
	users    bool
	keyScope string
}

// NewRoute is the route method path (relative to /v1/account, e.g.
// "sessions/{sessionId}") for callers of scope sc, served by h.
func NewRoute(method, path string, sc Scope, h HandlerFunc) Route {
	var segs []string
	if p := strings.Trim(path, "/"); p != "" {
		segs = strings.Split(p, "/")
	}
	return Route{method: method, path: segs, scope: sc, handle: h}
}

// UsersRoute is a route of the Users API (relative to /v1/users) for
// holders of an API key with keyScope.
func UsersRoute(method, path, keyScope string, h HandlerFunc) Route {
	rt := NewRoute(method, path, ScopePublic, h)
	rt.users, rt.keyScope = true, keyScope
	return rt
}

// Limit adds the rate limit name, counted under key.
func (rt Route) Limit(name string, key RateKey) Route {
	rt.limits = append(slices.Clip(rt.limits), RateRule{name: name, key: key})
	return rt
}

// SignIn marks the route as part of sign-in method m: switched off with it.
func (rt Route) SignIn(m core.AuthMethodName) Route {
	rt.signIn = m
	return rt
}

// Navigated marks a route that browsers navigate to (OAuth2): its errors
// are pages; anyOrigin skips the Origin check for provider posts.
func (rt Route) Navigated(anyOrigin bool) Route {
	rt.browser, rt.anyOrigin = true, anyOrigin
	return rt
}

// Request is an API request after the pipeline's checks.
type Request struct {
	*http.Request
	Principal *verify.Principal
	Params    *Params
	IP        string
	// Format is the request's X-Appwrite-Response-Format.
	Format Format
}

// APIPrefix is where the Account API lives.
const APIPrefix = "/v1/account"

// UsersPrefix is where the Users API lives.
const UsersPrefix = "/v1/users"

// IsAPIPath reports whether path belongs to the Account API or the
// Users API.
func IsAPIPath(path string) bool {
	return path == APIPrefix || strings.HasPrefix(path, APIPrefix+"/") || IsUsersPath(path)
}

// IsUsersPath reports whether path belongs to the Users API.
func IsUsersPath(path string) bool {
	return path == UsersPrefix || strings.HasPrefix(path, UsersPrefix+"/")
}

// Config is what the pipeline needs of the project.
type Config struct {
	Project  *core.Config
	Verifier *verify.Verifier
	// Limiter counts requests for the rate limits.
	Limiter ratelimit.Limiter
	// CookieName is the session cookie's name.
	CookieName string
	// NoteAccess records that a signed-in caller was seen and returns
	// the principal to go on with.
	NoteAccess func(context.Context, *verify.Principal) *verify.Principal
}

// API is the request pipeline of the Account and Users APIs: it matches
// a route, runs the checks every route shares, and calls its handler.
type API struct {
	cfg       *core.Config
	publicURL *url.URL
	verifier  *verify.Verifier
	limiter   ratelimit.Limiter
	cookies   CookieWriter
	keys      []apiKey
	log       *slog.Logger
	now       func() time.Time
	// NoteAccess records a signed-in caller's visit.
	noteAccess func(context.Context, *verify.Principal) *verify.Principal
	routes     []Route
}

// New returns the pipeline for cfg.Project, which must hold its defaults.
func New(cfg Config) *API {
	p := cfg.Project
	pub, _ := url.Parse(p.PublicURL)
	return &API{
		cfg: p, publicURL: pub, verifier: cfg.Verifier, limiter: cfg.Limiter,
		cookies: CookieWriter{name: cfg.CookieName, domain: p.CookieDomain},
		keys:    HashAPIKeys(p.APIKeys), log: p.Logger.With("project", p.ProjectID), now: p.Now,
		noteAccess: cfg.NoteAccess,
	}
}

// Handle adds routes; the first that matches a request serves it.
func (a *API) Handle(routes ...Route) { a.routes = append(a.routes, routes...) }

// Now is the clock's time at millisecond precision in UTC, the precision
// of every stored and sent datetime.
func (a *API) Now() time.Time { return a.now().UTC().Truncate(time.Millisecond) }

// match finds the route for method and path and its path parameters;
// nil when there is none (404 general_route_not_found). Paths use
// net/http's pattern syntax, and handlers read the parameters with
// r.PathValue, but the matching is ours rather than http.ServeMux's:
// the mux answers an unknown method with its own 405 and redirects
// unclean or slash-ended paths with a 301, where Appwrite (and the SDKs'
// error handling) expect a JSON 404 and treat a trailing slash as none.
func (a *API) match(method, path string) (*Route, map[string]string) {
	users := IsUsersPath(path)
	prefix := APIPrefix
	if users {
		prefix = UsersPrefix
	}
	rest := strings.Trim(strings.TrimPrefix(path, prefix), "/")
	var segs []string
	if rest != "" {
		segs = strings.Split(rest, "/")
	}
	for i := range a.routes {
		rt := &a.routes[i]
		if rt.users != users || rt.method != method || len(rt.path) != len(segs) {
			continue
		}
		var vars map[string]string
		ok := true
		for j, p := range rt.path {
			if strings.HasPrefix(p, "{") {
				if vars == nil {
					vars = map[string]string{}
				}
				vars[strings.Trim(p, "{}")] = segs[j]
			} else if p != segs[j] {
				ok = false
				break
			}
		}
		if ok {
			return rt, vars
		}
	}
	return nil, nil
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if IsPagePath(r.URL.Path) {
		ServePage(w, r)
		return
	}
	a.setCORS(w, r)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if rt, err := a.serve(w, r); err != nil {
		if rt != nil && rt.browser {
			a.LogError(r, err)
			WriteHTMLError(w, core.AsError(err))
			return
		}
		a.WriteError(w, r, err)
	}
}

// serve runs the checks in Appwrite's order (facts §1.1): route, caller,
// project, origin, scope, blocked user, rate limit, sign-in method,
// parameters, then the action.
func (a *API) serve(w http.ResponseWriter, r *http.Request) (*Route, error) {
	rt, vars := a.match(r.Method, r.URL.Path)
	if rt == nil {
		return nil, core.NewError(core.ErrGeneralRouteNotFound)
	}
	return rt, a.serveRoute(w, r, rt, vars)
}

func (a *API) serveRoute(w http.ResponseWriter, r *http.Request, rt *Route, vars map[string]string) error {
	principal, err := a.verifier.Authenticate(r)
	if err != nil {
		return err
	}
	if err := a.checkProject(r); err != nil {
		return err
	}
	if !rt.anyOrigin {
		if err := a.checkOrigin(r); err != nil {
			a.observeOriginRefused(r)
			return err
		}
	}
	if rt.keyScope != "" {
		if err := a.checkKeyScope(r, principal, rt.keyScope); err != nil {
			return err
		}
	} else if principal != nil && r.Header.Get(HeaderKey) != "" {
		return core.NewError(core.ErrUserAPIKeyAndSessionSet)
	}
	if rt.scope == ScopeAccount && principal == nil {
		return core.Errorf(core.ErrGeneralUnauthorizedScope, "User (role: guests) missing scope (account)")
	}
	if principal != nil && !principal.User.Status {
		return core.NewError(core.ErrUserBlocked)
	}
	if err := CheckMFA(principal, rt); err != nil {
		return err
	}
	if principal != nil {
		principal = a.noteAccess(r.Context(), principal)
	}
	// Parameters are read before the rate limit (keys may name one), but
	// a malformed body is reported after it: bad requests count too.
	p, paramErr := ReadParams(r)
	if paramErr != nil {
		p = &Params{form: url.Values{}}
	}
	format := ParseFormat(r.Header.Get(FormatHeader))
	w = &formatWriter{ResponseWriter: w, Format: format}
	for name, v := range vars {
		r.SetPathValue(name, v) // handlers read them as any net/http handler: r.PathValue
	}
	req := &Request{Request: r, Principal: principal, Params: p, IP: a.cfg.ClientIP(r), Format: format}
	if len(rt.limits) > 0 {
		if err := a.limitRate(w, req, rt.limits); err != nil {
			return err
		}
	}
	if rt.signIn != "" && a.cfg.Disabled[rt.signIn] {
		return core.Errorf(core.ErrUserAuthMethodUnsupported, "%s authentication is disabled for this project", rt.signIn.Title())
	}
	if paramErr != nil {
		return paramErr
	}
	err = rt.handle(w, req)
	a.observeFailure(req, rt, err)
	return err
}

// checkProject applies part A item 33: no project named means ours; any
// other id is unknown.
func (a *API) checkProject(r *http.Request) error {
	id := r.Header.Get("X-Appwrite-Project")
	if id == "" {
		id = r.URL.Query().Get("project")
	}
	if id != "" && id != a.cfg.ProjectID {
		return core.NewError(core.ErrProjectNotFound)
	}
	return nil
}

// requestOrigin is the host of the Origin header, or of the Referer when
// there is no Origin; "" when neither names one.
func requestOrigin(r *http.Request) (origin, host string) {
	origin = r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		origin = r.Header.Get("Referer")
	}
	if origin == "" {
		return "", ""
	}
	u, err := url.Parse(origin)
	if err != nil {
		return origin, "?"
	}
	return origin, u.Hostname()
}

// checkOrigin is the CSRF defence of part A item 32: a browser write from
// a host that is not a platform is refused.
func (a *API) checkOrigin(r *http.Request) error {
	if !UnsafeMethod(r.Method) {
		return nil
	}
	if err := a.checkCookieOrigin(r); err != nil {
		return err
	}
	origin, host := requestOrigin(r)
	if origin == "" || a.AllowedHost(host) {
		return nil
	}
	u, _ := url.Parse(origin)
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") {
		return core.Errorf(core.ErrGeneralUnknownOrigin, "Unsupported platform")
	}
	return core.Errorf(core.ErrGeneralUnknownOrigin, "Invalid Origin. Register your new client (%s) as a new Web platform on your project console dashboard", host)
}

// AllowedHost reports whether host is one of the project's platforms (or
// the public URL's host).
func (a *API) AllowedHost(host string) bool {
	return HostAllowed(a.publicURL.Hostname(), a.cfg.Platforms, host)
}

// HostAllowed reports whether host is publicHost or matches one of the
// platforms (exact, "*", or "*.suffix"); letter case does not matter.
func HostAllowed(publicHost string, platforms []string, host string) bool {
	host = strings.ToLower(host)
	if host == "" {
		return false
	}
	if host == strings.ToLower(publicHost) {
		return true
	}
	for _, p := range platforms {
		p = strings.ToLower(p)
		switch {
		case p == "*" || p == host:
			return true
		case strings.HasPrefix(p, "*.") && strings.HasSuffix(host, p[1:]):
			return true
		}
	}
	return false
}

// corsAllowHeaders are the request headers the Appwrite SDKs send.
const corsAllowHeaders = "Origin, Cookie, Set-Cookie, X-Requested-With, Content-Type, Access-Control-Allow-Origin, " +
	"Access-Control-Request-Headers, Accept, X-Appwrite-Project, X-Appwrite-Key, X-Appwrite-Locale, X-Appwrite-Mode, " +
	"X-Appwrite-JWT, X-Appwrite-Session, X-Appwrite-Response-Format, X-Appwrite-Timestamp, X-Appwrite-ID, " +
	"X-SDK-Version, X-SDK-Name, X-SDK-Language, X-SDK-Platform, X-SDK-GraphQL, Content-Range, Range, " +
	"Cache-Control, Expires, Pragma, X-Fallback-Cookies"

func (a *API) setCORS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
	h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
	h.Set("Access-Control-Expose-Headers", "X-Fallback-Cookies")
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Add("Vary", "Origin")
	if origin := r.Header.Get("Origin"); origin != "" {
		if u, err := url.Parse(origin); err == nil && (u.Scheme == "http" || u.Scheme == "https") && a.AllowedHost(u.Hostname()) {
			h.Set("Access-Control-Allow-Origin", origin)
		}
	}
}

// SendFallback reports whether X-Fallback-Cookies goes out: only when the
// caller's site and ours do not share a registrable domain, i.e. when a
// browser may block our cookies as third-party (facts §2.2).
func (a *API) SendFallback(r *http.Request) bool {
	_, host := requestOrigin(r)
	ours, err1 := publicsuffix.EffectiveTLDPlusOne(a.publicURL.Hostname())
	theirs, err2 := publicsuffix.EffectiveTLDPlusOne(host)
	return err1 != nil || err2 != nil || ours != theirs
}

// WriteJSON sends v in the response format of the request (FormatOf).
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	body, err := MarshalFor(v, FormatOf(w))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}

// ErrorBody is the Appwrite error model.
type ErrorBody struct {
	Message string `json:"message"`
	Code    int    `json:"code"`
	Type    string `json:"type"`
	Version string `json:"version"`
}

// WriteError sends err as an Appwrite error object. Causes of 5xx errors
// are logged, never sent.
func (a *API) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	a.LogError(r, err)
	WriteError(w, core.AsError(err))
}

// LogError logs server faults. 501 is a configured refusal (a sign-in
// method switched off), not a fault.
func (a *API) LogError(r *http.Request, err error) {
	e := core.AsError(err)
	if status := e.Status(); status >= 500 && status != http.StatusNotImplemented {
		a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "type", string(e.Type), "error", err)
	}
}

// WriteError writes e as an Appwrite error response.
func WriteError(w http.ResponseWriter, e *core.Error) {
	h := w.Header()
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Expires", "0")
	h.Set("Pragma", "no-cache")
	WriteJSON(w, e.Status(), ErrorBody{Message: e.Message, Code: e.Status(), Type: string(e.Type), Version: core.Version})
}

// IsCurrent reports whether sess is the session the caller presented.
func (r *Request) IsCurrent(sess *core.Session) bool {
	return r.Principal != nil && !r.Principal.ViaJWT && r.Principal.Session.ID == sess.ID
}

// Overlaps lists the pairs of routes that could both match one request:
// same API, method and length, and at each segment a parameter on either
// side or the same text. With none, the order of Handle calls does not
// matter.
func (a *API) Overlaps() []string {
	var out []string
	for i := range a.routes {
		for j := i + 1; j < len(a.routes); j++ {
			if x, y := &a.routes[i], &a.routes[j]; x.overlaps(y) {
				out = append(out, x.String()+" ~ "+y.String())
			}
		}
	}
	return out
}

func (rt *Route) overlaps(o *Route) bool {
	if rt.users != o.users || rt.method != o.method || len(rt.path) != len(o.path) {
		return false
	}
	for i, seg := range rt.path {
		if seg != o.path[i] && !strings.HasPrefix(seg, "{") && !strings.HasPrefix(o.path[i], "{") {
			return false
		}
	}
	return true
}

// String is the route as "METHOD /v1/…/path".
func (rt *Route) String() string {
	prefix := APIPrefix
	if rt.users {
		prefix = UsersPrefix
	}
	return strings.TrimRight(rt.method+" "+prefix+"/"+strings.Join(rt.path, "/"), "/")
}

package account

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/accountgate/accountgate/account/core"

	"golang.org/x/net/publicsuffix"
)

// scope is what a route needs from the caller.
type scope int

const (
	scopePublic  scope = iota // guests and users
	scopeAccount              // a signed-in user
)

// route is one API endpoint. path holds the segments after /v1/account;
// a segment in braces captures a path parameter.
type route struct {
	method string
	path   []string
	scope  scope
	handle func(w http.ResponseWriter, r *request) error
	// limits are the route's rate limits, if any.
	limits []rateRule
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

// request is an API request after the pipeline's checks.
type request struct {
	*http.Request
	principal *Principal
	params    *params
	pathVars  map[string]string
	ip        string
	// format is the request's X-Appwrite-Response-Format.
	format responseFormat
}

// apiPrefix is where the Account API lives.
const apiPrefix = "/v1/account"

// usersPrefix is where the Users API lives.
const usersPrefix = "/v1/users"

// IsAPIPath reports whether path belongs to the Account API or the
// Users API.
func IsAPIPath(path string) bool {
	return path == apiPrefix || strings.HasPrefix(path, apiPrefix+"/") || isUsersPath(path)
}

// isUsersPath reports whether path belongs to the Users API.
func isUsersPath(path string) bool {
	return path == usersPrefix || strings.HasPrefix(path, usersPrefix+"/")
}

// APIHandler serves /v1/account and everything under it, writing Appwrite
// error objects itself for every failure, and the pages that Owns names.
func (s *Service) APIHandler() http.Handler { return s.api }

type apiHandler struct {
	s      *Service
	routes []route
}

func (s *Service) routes() http.Handler {
	r := func(method, path string, sc scope, h func(http.ResponseWriter, *request) error) route {
		var segs []string
		if p := strings.Trim(path, "/"); p != "" {
			segs = strings.Split(p, "/")
		}
		return route{method: method, path: segs, scope: sc, handle: h}
	}
	limited := func(rt route, name string, key rateKeyFunc) route {
		rt.limits = append(rt.limits, rateRule{name: name, key: key})
		return rt
	}
	method := func(rt route, m core.AuthMethodName) route {
		rt.signIn = m
		return rt
	}
	browser := func(rt route, anyOrigin bool) route {
		rt.browser, rt.anyOrigin = true, anyOrigin
		return rt
	}
	routes := []route{
		method(limited(r("POST", "", scopePublic, s.createAccount), "account.create", byIP), core.MethodEmailPassword),
		r("GET", "", scopeAccount, s.getAccount),
		r("GET", "prefs", scopeAccount, s.getPrefs),
		r("PATCH", "prefs", scopeAccount, s.updatePrefs),
		r("PATCH", "name", scopeAccount, s.updateName),
		r("PATCH", "password", scopeAccount, s.updatePassword),
		r("PATCH", "email", scopeAccount, s.updateEmail),
		r("PATCH", "phone", scopeAccount, s.updatePhone),
		r("PATCH", "status", scopeAccount, s.updateStatus),
		r("GET", "logs", scopeAccount, s.listLogs),
		method(limited(r("POST", "jwt", scopeAccount, s.createJWT), "jwt.create", byUser), core.MethodJWT),
		method(limited(r("POST", "sessions/email", scopePublic, s.createEmailSession), "sessions.email", byEmail), core.MethodEmailPassword),
		method(limited(r("POST", "sessions", scopePublic, s.createEmailSession), "sessions.email", byEmail), core.MethodEmailPassword),
		method(limited(r("POST", "sessions/anonymous", scopePublic, s.createAnonymousSession), "sessions.anonymous", byIP), core.MethodAnonymous),
		r("GET", "sessions", scopeAccount, s.listSessions),
		limited(r("DELETE", "sessions", scopeAccount, s.deleteAllSessions), "sessions.delete_all", byIP),
		r("GET", "sessions/{sessionId}", scopeAccount, s.getSession),
		limited(r("PATCH", "sessions/{sessionId}", scopeAccount, s.updateSession), "sessions.update", byIP),
		limited(r("DELETE", "sessions/{sessionId}", scopeAccount, s.deleteSession), "sessions.delete", byIP),

		method(limited(limited(r("POST", "sessions/magic-url", scopePublic, s.createMagicURLSession), "magic_url.create", byEmail), "magic_url.create_ip", byIP), core.MethodMagicURL),
		method(limited(r("PUT", "sessions/magic-url", scopePublic, s.updateMagicURLSession), "magic_url.update", byParam("userId")), core.MethodMagicURL),
		method(limited(limited(r("POST", "sessions/phone", scopePublic, s.createPhoneSession), "phone.create", byParam("phone")), "phone.create_ip", byIP), core.MethodPhone),
		method(limited(r("PUT", "sessions/phone", scopePublic, s.updatePhoneSession), "phone.update", byParam("userId")), core.MethodPhone),
		limited(limited(r("POST", "recovery", scopePublic, s.createRecovery), "recovery.create", byEmail), "recovery.create_ip", byIP),
		limited(r("PUT", "recovery", scopePublic, s.updateRecovery), "recovery.update", byParam("userId")),
		limited(r("POST", "verification", scopeAccount, s.createVerification), "verification.create", byUser),
		limited(r("PUT", "verification", scopePublic, s.updateVerification), "verification.update", byParam("userId")),
		limited(r("POST", "verification/phone", scopeAccount, s.createPhoneVerification), "verification_phone.create", byUser),
		limited(r("PUT", "verification/phone", scopePublic, s.updatePhoneVerification), "verification_phone.update", byParam("userId")),

		browser(method(limited(r("GET", "sessions/oauth2/{provider}", scopePublic, s.createOAuth2Session), "oauth2.create", byIP), core.MethodOAuth2), false),
		browser(method(limited(r("GET", "sessions/oauth2/callback/{provider}/{projectId}", scopePublic, s.oauth2Callback), "oauth2.callback", byIP), core.MethodOAuth2), false),
		browser(method(limited(r("POST", "sessions/oauth2/callback/{provider}/{projectId}", scopePublic, s.oauth2Callback), "oauth2.callback", byIP), core.MethodOAuth2), true),

		// Today's names (format 1.5 on) of the routes above, with the
		// same rules and the same rate-limit counters.
		method(limited(r("POST", "jwts", scopeAccount, s.createJWTs), "jwt.create", byUser), core.MethodJWT),
		limited(r("POST", "verifications/email", scopeAccount, s.createVerification), "verification.create", byUser),
		limited(r("PUT", "verifications/email", scopePublic, s.updateVerification), "verification.update", byParam("userId")),
		limited(r("POST", "verifications/phone", scopeAccount, s.createPhoneVerification), "verification_phone.create", byUser),
		limited(r("PUT", "verifications/phone", scopePublic, s.updatePhoneVerification), "verification_phone.update", byParam("userId")),
		r("GET", "identities", scopeAccount, s.listIdentities),

		// Token sign-in (today's SDKs): the secret goes to POST
		// sessions/token, which checks each kind's method itself.
		method(limited(limited(r("POST", "tokens/magic-url", scopePublic, s.createMagicURLToken), "magic_url_token.create", byEmail), "magic_url_token.create_ip", byIP), core.MethodMagicURL),
		method(limited(limited(r("POST", "tokens/email", scopePublic, s.createEmailToken), "email_token.create", byEmail), "email_token.create_ip", byIP), core.MethodEmailOTP),
		method(limited(limited(r("POST", "tokens/phone", scopePublic, s.createPhoneSession), "phone_token.create", byParam("phone")), "phone_token.create_ip", byIP), core.MethodPhone),
		limited(r("POST", "sessions/token", scopePublic, s.createTokenSession), "sessions.token", byParam("userId")),
		browser(method(limited(r("GET", "tokens/oauth2/{provider}", scopePublic, s.createOAuth2Token), "oauth2.create", byIP), core.MethodOAuth2), false),
		r("DELETE", "identities/{identityId}", scopeAccount, s.deleteIdentity),
	}
	// Multi-factor authentication (issue 14), in mfa*.go.
	routes = append(append(routes, s.mfaRoutes(r)...), s.mfaChallengeRoutes(r)...)
	routes = append(routes, notImplementedRoutes()...)
	// The Users API, for servers holding an API key.
	routes = append(routes, s.usersRoutes()...)
	return &apiHandler{s: s, routes: routes}
}

// match finds the route for method and path and its path parameters;
// nil when there is none (404 general_route_not_found).
func (h *apiHandler) match(method, path string) (*route, map[string]string) {
	users := isUsersPath(path)
	prefix := apiPrefix
	if users {
		prefix = usersPrefix
	}
	rest := strings.Trim(strings.TrimPrefix(path, prefix), "/")
	var segs []string
	if rest != "" {
		segs = strings.Split(rest, "/")
	}
	for i := range h.routes {
		rt := &h.routes[i]
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

func (h *apiHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isPagePath(r.URL.Path) {
		servePage(w, r)
		return
	}
	s := h.s
	s.setCORS(w, r)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if rt, err := h.serve(w, r); err != nil {
		if rt != nil && rt.browser {
			s.logError(r, err)
			writeHTMLError(w, AsError(err))
			return
		}
		s.writeError(w, r, err)
	}
}

// serve runs the checks in Appwrite's order (facts §1.1): route, caller,
// project, origin, scope, blocked user, rate limit, sign-in method,
// parameters, then the action.
func (h *apiHandler) serve(w http.ResponseWriter, r *http.Request) (*route, error) {
	rt, vars := h.match(r.Method, r.URL.Path)
	if rt == nil {
		return nil, NewError(ErrGeneralRouteNotFound)
	}
	return rt, h.serveRoute(w, r, rt, vars)
}

func (h *apiHandler) serveRoute(w http.ResponseWriter, r *http.Request, rt *route, vars map[string]string) error {
	s := h.s
	principal, err := s.Authenticate(r)
	if err != nil {
		return err
	}
	if err := s.checkProject(r); err != nil {
		return err
	}
	if !rt.anyOrigin {
		if err := s.checkOrigin(r); err != nil {
			s.observeOriginRefused(r)
			return err
		}
	}
	if rt.keyScope != "" {
		if err := s.checkKeyScope(r, principal, rt.keyScope); err != nil {
			return err
		}
	} else if principal != nil && r.Header.Get(headerKey) != "" {
		return NewError(ErrUserAPIKeyAndSessionSet)
	}
	if rt.scope == scopeAccount && principal == nil {
		return Errorf(ErrGeneralUnauthorizedScope, "User (role: guests) missing scope (account)")
	}
	if principal != nil && !principal.User.Status {
		return NewError(ErrUserBlocked)
	}
	if err := checkMFA(principal, rt); err != nil {
		return err
	}
	if principal != nil {
		principal = s.noteAccess(r.Context(), principal)
	}
	// Parameters are read before the rate limit (keys may name one), but
	// a malformed body is reported after it: bad requests count too.
	p, paramErr := readParams(r)
	if paramErr != nil {
		p = &params{form: url.Values{}}
	}
	format := parseFormat(r.Header.Get(formatHeader))
	w = &formatWriter{ResponseWriter: w, format: format}
	req := &request{Request: r, principal: principal, params: p, pathVars: vars, ip: s.cfg.ClientIP(r), format: format}
	if len(rt.limits) > 0 {
		if err := s.limitRate(w, req, rt.limits); err != nil {
			return err
		}
	}
	if rt.signIn != "" && s.cfg.Disabled[rt.signIn] {
		return Errorf(ErrUserAuthMethodUnsupported, "%s authentication is disabled for this project", rt.signIn.Title())
	}
	if paramErr != nil {
		return paramErr
	}
	err = rt.handle(w, req)
	s.observeFailure(req, rt, err)
	return err
}

// checkProject applies part A item 33: no project named means ours; any
// other id is unknown.
func (s *Service) checkProject(r *http.Request) error {
	id := r.Header.Get("X-Appwrite-Project")
	if id == "" {
		id = r.URL.Query().Get("project")
	}
	if id != "" && id != s.cfg.ProjectID {
		return NewError(ErrProjectNotFound)
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
func (s *Service) checkOrigin(r *http.Request) error {
	if !unsafeMethod(r.Method) {
		return nil
	}
	if err := s.checkCookieOrigin(r); err != nil {
		return err
	}
	origin, host := requestOrigin(r)
	if origin == "" || s.AllowedHost(host) {
		return nil
	}
	u, _ := url.Parse(origin)
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") {
		return Errorf(ErrGeneralUnknownOrigin, "Unsupported platform")
	}
	return Errorf(ErrGeneralUnknownOrigin, "Invalid Origin. Register your new client (%s) as a new Web platform on your project console dashboard", host)
}

// AllowedHost reports whether host is one of the project's platforms (or
// the public URL's host).
func (s *Service) AllowedHost(host string) bool {
	return HostAllowed(s.publicURL.Hostname(), s.cfg.Platforms, host)
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

func (s *Service) setCORS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
	h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
	h.Set("Access-Control-Expose-Headers", "X-Fallback-Cookies")
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Add("Vary", "Origin")
	if origin := r.Header.Get("Origin"); origin != "" {
		if u, err := url.Parse(origin); err == nil && (u.Scheme == "http" || u.Scheme == "https") && s.AllowedHost(u.Hostname()) {
			h.Set("Access-Control-Allow-Origin", origin)
		}
	}
}

// sendFallback reports whether X-Fallback-Cookies goes out: only when the
// caller's site and ours do not share a registrable domain, i.e. when a
// browser may block our cookies as third-party (facts §2.2).
func (s *Service) sendFallback(r *http.Request) bool {
	_, host := requestOrigin(r)
	ours, err1 := publicsuffix.EffectiveTLDPlusOne(s.publicURL.Hostname())
	theirs, err2 := publicsuffix.EffectiveTLDPlusOne(host)
	return err1 != nil || err2 != nil || ours != theirs
}

// writeJSON sends v in the response format of the request (formatOf).
func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := marshalFor(v, formatOf(w))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}

// errorBody is the Appwrite error model.
type errorBody struct {
	Message string `json:"message"`
	Code    int    `json:"code"`
	Type    string `json:"type"`
	Version string `json:"version"`
}

// WriteError sends err as an Appwrite error object. Causes of 5xx errors
// are logged, never sent.
func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	s.logError(r, err)
	WriteError(w, AsError(err))
}

// logError logs server faults. 501 is a configured refusal (a sign-in
// method switched off), not a fault.
func (s *Service) logError(r *http.Request, err error) {
	e := AsError(err)
	if status := e.Status(); status >= 500 && status != http.StatusNotImplemented {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "type", string(e.Type), "error", err)
	}
}

// WriteError writes e as an Appwrite error response.
func WriteError(w http.ResponseWriter, e *Error) {
	h := w.Header()
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Expires", "0")
	h.Set("Pragma", "no-cache")
	writeJSON(w, e.Status(), errorBody{Message: e.Message, Code: e.Status(), Type: string(e.Type), Version: core.Version})
}

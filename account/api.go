package account

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/accountgate/accountgate/account/core"

	"golang.org/x/net/publicsuffix"
)

// scope is what a Route needs from the caller.
type scope int

const (
	ScopePublic  scope = iota // guests and users
	ScopeAccount              // a signed-in user
)

// Route is one API endpoint. path holds the segments after /v1/account;
// a segment in braces captures a path parameter.
type Route struct {
	method string
	path   []string
	scope  scope
	handle func(w http.ResponseWriter, r *Request) error
	// limits are the Route's rate limits, if any.
	limits []RateRule
	// signIn is the sign-in method the Route belongs to ("" for none).
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

// Request is an API Request after the pipeline's checks.
type Request struct {
	*http.Request
	Principal *Principal
	Params    *Params
	PathVars  map[string]string
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

// APIHandler serves /v1/account and everything under it, writing Appwrite
// error objects itself for every failure, and the pages that Owns names.
func (s *Service) APIHandler() http.Handler { return s.api }

type apiHandler struct {
	s      *Service
	routes []Route
}

func (s *Service) routes() http.Handler {
	r := func(method, path string, sc scope, h func(http.ResponseWriter, *Request) error) Route {
		var segs []string
		if p := strings.Trim(path, "/"); p != "" {
			segs = strings.Split(p, "/")
		}
		return Route{method: method, path: segs, scope: sc, handle: h}
	}
	limited := func(rt Route, name string, key RateKey) Route {
		rt.limits = append(rt.limits, RateRule{name: name, key: key})
		return rt
	}
	method := func(rt Route, m core.AuthMethodName) Route {
		rt.signIn = m
		return rt
	}
	browser := func(rt Route, anyOrigin bool) Route {
		rt.browser, rt.anyOrigin = true, anyOrigin
		return rt
	}
	routes := []Route{
		method(limited(r("POST", "", ScopePublic, s.createAccount), "account.create", ByIP), core.MethodEmailPassword),
		r("GET", "", ScopeAccount, s.getAccount),
		r("GET", "prefs", ScopeAccount, s.getPrefs),
		r("PATCH", "prefs", ScopeAccount, s.updatePrefs),
		r("PATCH", "name", ScopeAccount, s.updateName),
		r("PATCH", "password", ScopeAccount, s.updatePassword),
		r("PATCH", "email", ScopeAccount, s.updateEmail),
		r("PATCH", "phone", ScopeAccount, s.updatePhone),
		r("PATCH", "status", ScopeAccount, s.updateStatus),
		r("GET", "logs", ScopeAccount, s.listLogs),
		method(limited(r("POST", "jwt", ScopeAccount, s.createJWT), "jwt.create", ByUser), core.MethodJWT),
		method(limited(r("POST", "sessions/email", ScopePublic, s.createEmailSession), "sessions.email", ByEmail), core.MethodEmailPassword),
		method(limited(r("POST", "sessions", ScopePublic, s.createEmailSession), "sessions.email", ByEmail), core.MethodEmailPassword),
		method(limited(r("POST", "sessions/anonymous", ScopePublic, s.createAnonymousSession), "sessions.anonymous", ByIP), core.MethodAnonymous),
		r("GET", "sessions", ScopeAccount, s.listSessions),
		limited(r("DELETE", "sessions", ScopeAccount, s.deleteAllSessions), "sessions.delete_all", ByIP),
		r("GET", "sessions/{sessionId}", ScopeAccount, s.getSession),
		limited(r("PATCH", "sessions/{sessionId}", ScopeAccount, s.updateSession), "sessions.update", ByIP),
		limited(r("DELETE", "sessions/{sessionId}", ScopeAccount, s.deleteSession), "sessions.delete", ByIP),

		method(limited(limited(r("POST", "sessions/magic-url", ScopePublic, s.createMagicURLSession), "magic_url.create", ByEmail), "magic_url.create_ip", ByIP), core.MethodMagicURL),
		method(limited(r("PUT", "sessions/magic-url", ScopePublic, s.updateMagicURLSession), "magic_url.update", ByParam("userId")), core.MethodMagicURL),
		method(limited(limited(r("POST", "sessions/phone", ScopePublic, s.createPhoneSession), "phone.create", ByParam("phone")), "phone.create_ip", ByIP), core.MethodPhone),
		method(limited(r("PUT", "sessions/phone", ScopePublic, s.updatePhoneSession), "phone.update", ByParam("userId")), core.MethodPhone),
		limited(limited(r("POST", "recovery", ScopePublic, s.createRecovery), "recovery.create", ByEmail), "recovery.create_ip", ByIP),
		limited(r("PUT", "recovery", ScopePublic, s.updateRecovery), "recovery.update", ByParam("userId")),
		limited(r("POST", "verification", ScopeAccount, s.createVerification), "verification.create", ByUser),
		limited(r("PUT", "verification", ScopePublic, s.updateVerification), "verification.update", ByParam("userId")),
		limited(r("POST", "verification/phone", ScopeAccount, s.createPhoneVerification), "verification_phone.create", ByUser),
		limited(r("PUT", "verification/phone", ScopePublic, s.updatePhoneVerification), "verification_phone.update", ByParam("userId")),

		browser(method(limited(r("GET", "sessions/oauth2/{provider}", ScopePublic, s.createOAuth2Session), "oauth2.create", ByIP), core.MethodOAuth2), false),
		browser(method(limited(r("GET", "sessions/oauth2/callback/{provider}/{projectId}", ScopePublic, s.oauth2Callback), "oauth2.callback", ByIP), core.MethodOAuth2), false),
		browser(method(limited(r("POST", "sessions/oauth2/callback/{provider}/{projectId}", ScopePublic, s.oauth2Callback), "oauth2.callback", ByIP), core.MethodOAuth2), true),

		// Today's names (format 1.5 on) of the routes above, with the
		// same rules and the same rate-limit counters.
		method(limited(r("POST", "jwts", ScopeAccount, s.createJWTs), "jwt.create", ByUser), core.MethodJWT),
		limited(r("POST", "verifications/email", ScopeAccount, s.createVerification), "verification.create", ByUser),
		limited(r("PUT", "verifications/email", ScopePublic, s.updateVerification), "verification.update", ByParam("userId")),
		limited(r("POST", "verifications/phone", ScopeAccount, s.createPhoneVerification), "verification_phone.create", ByUser),
		limited(r("PUT", "verifications/phone", ScopePublic, s.updatePhoneVerification), "verification_phone.update", ByParam("userId")),
		r("GET", "identities", ScopeAccount, s.listIdentities),

		// Token sign-in (today's SDKs): the secret goes to POST
		// sessions/token, which checks each kind's method itself.
		method(limited(limited(r("POST", "tokens/magic-url", ScopePublic, s.createMagicURLToken), "magic_url_token.create", ByEmail), "magic_url_token.create_ip", ByIP), core.MethodMagicURL),
		method(limited(limited(r("POST", "tokens/email", ScopePublic, s.createEmailToken), "email_token.create", ByEmail), "email_token.create_ip", ByIP), core.MethodEmailOTP),
		method(limited(limited(r("POST", "tokens/phone", ScopePublic, s.createPhoneSession), "phone_token.create", ByParam("phone")), "phone_token.create_ip", ByIP), core.MethodPhone),
		limited(r("POST", "sessions/token", ScopePublic, s.createTokenSession), "sessions.token", ByParam("userId")),
		browser(method(limited(r("GET", "tokens/oauth2/{provider}", ScopePublic, s.createOAuth2Token), "oauth2.create", ByIP), core.MethodOAuth2), false),
		r("DELETE", "identities/{identityId}", ScopeAccount, s.deleteIdentity),
	}
	// Multi-factor authentication (issue 14), in mfa*.go.
	routes = append(append(routes, s.mfaRoutes(r)...), s.mfaChallengeRoutes(r)...)
	routes = append(routes, notImplementedRoutes()...)
	// The Users API, for servers holding an API key.
	routes = append(routes, s.usersRoutes()...)
	return &apiHandler{s: s, routes: routes}
}

// match finds the Route for method and path and its path parameters;
// nil when there is none (404 general_route_not_found).
func (h *apiHandler) match(method, path string) (*Route, map[string]string) {
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
	if IsPagePath(r.URL.Path) {
		ServePage(w, r)
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
			s.LogError(r, err)
			WriteHTMLError(w, AsError(err))
			return
		}
		s.WriteError(w, r, err)
	}
}

// serve runs the checks in Appwrite's order (facts §1.1): Route, caller,
// project, origin, scope, blocked user, rate limit, sign-in method,
// parameters, then the action.
func (h *apiHandler) serve(w http.ResponseWriter, r *http.Request) (*Route, error) {
	rt, vars := h.match(r.Method, r.URL.Path)
	if rt == nil {
		return nil, NewError(ErrGeneralRouteNotFound)
	}
	return rt, h.serveRoute(w, r, rt, vars)
}

func (h *apiHandler) serveRoute(w http.ResponseWriter, r *http.Request, rt *Route, vars map[string]string) error {
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
	} else if principal != nil && r.Header.Get(HeaderKey) != "" {
		return NewError(ErrUserAPIKeyAndSessionSet)
	}
	if rt.scope == ScopeAccount && principal == nil {
		return Errorf(ErrGeneralUnauthorizedScope, "User (role: guests) missing scope (account)")
	}
	if principal != nil && !principal.User.Status {
		return NewError(ErrUserBlocked)
	}
	if err := CheckMFA(principal, rt); err != nil {
		return err
	}
	if principal != nil {
		principal = s.noteAccess(r.Context(), principal)
	}
	// Parameters are read before the rate limit (keys may name one), but
	// a malformed body is reported after it: bad requests count too.
	p, paramErr := ReadParams(r)
	if paramErr != nil {
		p = &Params{form: url.Values{}}
	}
	format := ParseFormat(r.Header.Get(FormatHeader))
	w = &formatWriter{ResponseWriter: w, Format: format}
	req := &Request{Request: r, Principal: principal, Params: p, PathVars: vars, IP: s.cfg.ClientIP(r), Format: format}
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
	if !UnsafeMethod(r.Method) {
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

// corsAllowHeaders are the Request headers the Appwrite SDKs send.
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
func (s *Service) SendFallback(r *http.Request) bool {
	_, host := requestOrigin(r)
	ours, err1 := publicsuffix.EffectiveTLDPlusOne(s.publicURL.Hostname())
	theirs, err2 := publicsuffix.EffectiveTLDPlusOne(host)
	return err1 != nil || err2 != nil || ours != theirs
}

// WriteJSON sends v in the response format of the Request (FormatOf).
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

// errorBody is the Appwrite error model.
type errorBody struct {
	Message string `json:"message"`
	Code    int    `json:"code"`
	Type    string `json:"type"`
	Version string `json:"version"`
}

// WriteError sends err as an Appwrite error object. Causes of 5xx errors
// are logged, never sent.
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	s.LogError(r, err)
	WriteError(w, AsError(err))
}

// logError logs server faults. 501 is a configured refusal (a sign-in
// method switched off), not a fault.
func (s *Service) LogError(r *http.Request, err error) {
	e := AsError(err)
	if status := e.Status(); status >= 500 && status != http.StatusNotImplemented {
		s.log.Error("Request failed", "method", r.Method, "path", r.URL.Path, "type", string(e.Type), "error", err)
	}
}

// WriteError writes e as an Appwrite error response.
func WriteError(w http.ResponseWriter, e *Error) {
	h := w.Header()
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Expires", "0")
	h.Set("Pragma", "no-cache")
	WriteJSON(w, e.Status(), errorBody{Message: e.Message, Code: e.Status(), Type: string(e.Type), Version: core.Version})
}

package caddymodule

import (
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/accountgate/accountgate/account/httpapi"
)

func init() {
	caddy.RegisterModule(AuthEndpoint{})
	httpcaddyfile.RegisterHandlerDirective("account_auth", func(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
		v := new(AuthEndpoint)
		return v, v.UnmarshalCaddyfile(h.Dispenser)
	})
	// Terminal, before the API and the gate, like account_health.
	httpcaddyfile.RegisterDirectiveOrder("account_auth", httpcaddyfile.After, "forward_auth")
}

// AuthEndpoint answers the auth subrequests of another proxy (Caddy's
// forward_auth, nginx's auth_request, Traefik's forwardAuth): 200 with the
// identity headers for a valid session or JWT, else the gate's refusal
// (401, or 403 for a policy or a cross-site write) as Appwrite JSON. It
// takes the gate's options and never calls the next handler.
type AuthEndpoint struct {
	Gate
}

// CaddyModule returns the Caddy module information.
func (AuthEndpoint) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.account_auth", New: func() caddy.Module { return new(AuthEndpoint) }}
}

// ServeHTTP decides on the original request the subrequest describes.
func (a *AuthEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	svc, e := a.slot.service(r)
	if e != nil {
		httpapi.WriteError(w, e)
		return nil
	}
	w.Header().Set("Cache-Control", "no-store")
	p, e := a.decide(svc, original(r))
	if e != nil {
		httpapi.WriteError(w, e)
		return nil
	}
	a.headers.Set(w.Header(), p.Identity())
	w.WriteHeader(http.StatusOK)
	return nil
}

// original is the request the proxy asks about: proxies send the
// subrequest as a GET (or without a body) and name the original method
// and host in X-Forwarded-Method and X-Forwarded-Host, which Caddy's
// forward_auth and Traefik set themselves and the nginx set-up in the
// README sets with proxy_set_header (overriding any client copy). The
// cross-site check needs both: a cookie-authenticated POST from another
// site must be refused here too. (A cross-site form cannot add these
// headers: that would take a CORS preflight.)
func original(r *http.Request) *http.Request {
	method := firstHeader(r, "X-Forwarded-Method")
	host := firstHeader(r, "X-Forwarded-Host")
	if method == "" && host == "" {
		return r
	}
	o := r.Clone(r.Context())
	if method != "" {
		o.Method = strings.ToUpper(method)
	}
	if host != "" {
		o.Host = host
	}
	return o
}

func firstHeader(r *http.Request, names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(r.Header.Get(n)); v != "" {
			return v
		}
	}
	return ""
}

// UnmarshalCaddyfile takes the gate's syntax:
//
//	account_auth [<matcher>] <project> { <account_gate options> }
func (a *AuthEndpoint) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	return a.Gate.UnmarshalCaddyfile(d)
}

var (
	_ caddy.Provisioner           = (*AuthEndpoint)(nil)
	_ caddy.Validator             = (*AuthEndpoint)(nil)
	_ caddyhttp.MiddlewareHandler = (*AuthEndpoint)(nil)
	_ caddyfile.Unmarshaler       = (*AuthEndpoint)(nil)
)

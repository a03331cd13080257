package caddymodule

import (
	"errors"
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/accountgate/accountgate/account/assertion"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/verify"
)

func init() {
	caddy.RegisterModule(APIHandler{})
}

// APIHandler serves the Appwrite Account API (/v1/account and below) for
// one project, and its hosted pages (see PagesConfig), and passes every
// other request to the next handler.
type APIHandler struct {
	// Project is the id of a project of the accountgate app; required.
	Project string `json:"project"`

	slot *projectSlot
}

// CaddyModule returns the Caddy module information.
func (APIHandler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.account_api", New: func() caddy.Module { return new(APIHandler) }}
}

// Provision finds the project in the accountgate app.
func (h *APIHandler) Provision(ctx caddy.Context) error {
	app, err := appFrom(ctx)
	if err != nil {
		return err
	}
	h.slot, err = app.slot(h.Project)
	return err
}

// Validate checks the handler's own configuration.
func (h *APIHandler) Validate() error {
	if h.Project == "" {
		return errors.New("account_api: a project id is required")
	}
	return nil
}

// ServeHTTP removes client copies of the identity headers (and such
// trailers) from every request, answers API paths itself (always with
// Appwrite JSON, never a Caddy error) and hands the rest on. Stripping
// here, not only in the gate, keeps a public route beside a gated one
// from being fed forged identities.
func (h *APIHandler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	svc, e := h.slot.service(r)
	if e != nil {
		httpapi.WriteError(w, e)
		return nil
	}
	svc.StripIdentity(r, verify.HeaderNames{})
	if r.URL.Path == assertion.JWKSPath && h.slot.keys.Loaded() {
		h.slot.keys.ServeJWKS(w, r)
		return nil
	}
	if pg := h.slot.pages; pg != nil && pg.Owns(r.URL.Path) {
		pg.Serve(w, r, svc.APIHandler())
		return nil
	}
	if !httpapi.Owns(r.URL.Path) {
		return next.ServeHTTP(w, r)
	}
	svc.APIHandler().ServeHTTP(w, r)
	return nil
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens:
//
//	account_api <project>
func (h *APIHandler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if !d.NextArg() {
		return d.ArgErr()
	}
	h.Project = d.Val()
	if d.NextArg() {
		return d.ArgErr()
	}
	if d.NextBlock(d.Nesting()) {
		return d.Err("account_api takes no block")
	}
	return nil
}

var (
	_ caddy.Provisioner           = (*APIHandler)(nil)
	_ caddy.Validator             = (*APIHandler)(nil)
	_ caddyhttp.MiddlewareHandler = (*APIHandler)(nil)
	_ caddyfile.Unmarshaler       = (*APIHandler)(nil)
)

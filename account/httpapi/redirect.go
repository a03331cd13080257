package httpapi

import (
	"net/url"
	"strings"

	"github.com/accountgate/accountgate/account/core"
)

// RedirectURL checks a url parameter (Host validator, facts §1.3, with
// http(s) required): it must name a platform host.
func (a *API) RedirectURL(name, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || !a.AllowedHost(u.Hostname()) {
		return nil, core.InvalidParam(name, "URL host must be one of: "+strings.Join(a.AllowedHosts(), ", "))
	}
	return u, nil
}

// AllowedHosts lists the hosts redirect URLs may name.
func (a *API) AllowedHosts() []string {
	hosts := []string{a.publicURL.Hostname()}
	for _, p := range a.cfg.Platforms {
		if p != hosts[0] {
			hosts = append(hosts, p)
		}
	}
	return hosts
}

// RequiredRedirectURL reads the required parameter name and checks it as
// RedirectURL does.
func (a *API) RequiredRedirectURL(r *Request, name string) (*url.URL, error) {
	raw, err := r.Params.Required(name, "")
	if err != nil {
		return nil, err
	}
	return a.RedirectURL(name, raw)
}

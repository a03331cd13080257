package caddymodule

import (
	"errors"
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/caddyauth"

	"github.com/accountgate/accountgate/account/verify"
)

func init() {
	caddy.RegisterModule(AuthProvider{})
}

// AuthProvider lets Caddy's standard `authentication` handler accept
// Accountgate sessions and JWTs: the user lands in {http.auth.user.id}
// and {http.auth.user.email}, … like behind account_gate. It decides on
// the session alone; policies, the cross-site check and the identity
// headers are account_gate's.
type AuthProvider struct {
	// Project is the id of a project of the accountgate app; required.
	Project string `json:"project"`

	slot *projectSlot
}

// CaddyModule returns the Caddy module information.
func (AuthProvider) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.authentication.providers.accountgate", New: func() caddy.Module { return new(AuthProvider) }}
}

// Provision finds the project.
func (a *AuthProvider) Provision(ctx caddy.Context) error {
	if a.Project == "" {
		return errors.New("accountgate authentication provider: a project id is required")
	}
	app, err := appFrom(ctx)
	if err != nil {
		return err
	}
	a.slot, err = app.slot(a.Project)
	return err
}

// Authenticate verifies r's session or JWT.
func (a *AuthProvider) Authenticate(_ http.ResponseWriter, r *http.Request) (caddyauth.User, bool, error) {
	svc, e := a.slot.service(r)
	if e != nil {
		return caddyauth.User{}, false, e
	}
	p, e := svc.GateCheck(r)
	if e != nil {
		return caddyauth.User{}, false, nil
	}
	id := p.Identity()
	// Caddy's authentication handler sets {http.auth.user.<key>} from
	// the metadata, and {http.auth.user.id} from the ID.
	meta := make(map[string]string, len(verify.IdentityFields)-1)
	for _, f := range verify.IdentityFields[1:] {
		meta[f.Name], _ = id.Value(f.Name)
	}
	return caddyauth.User{ID: id.ID, Metadata: meta}, true, nil
}

var (
	_ caddy.Provisioner       = (*AuthProvider)(nil)
	_ caddyauth.Authenticator = (*AuthProvider)(nil)
)

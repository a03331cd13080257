package caddymodule

import (
	"sort"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/accountgate/accountgate/account/core"
)

// APIKeyConfig is one project API key for the Users API, sent by
// servers as X-Appwrite-Key.
type APIKeyConfig struct {
	// Key is the secret, at least 32 characters; may be a {env.NAME}
	// placeholder. The running service keeps only its hash.
	Key string `json:"key"`
	// Scopes the key holds: users.read, users.write, sessions.write.
	// Default none.
	Scopes []string `json:"scopes,omitempty"`
}

// parseAPIKey reads
//
//	api_key <name> <key> { scopes <scope> ... }
func parseAPIKey(d *caddyfile.Dispenser, args []string) (string, *APIKeyConfig, error) {
	if len(args) != 2 {
		return "", nil, d.Err("usage: api_key <name> <key> { scopes <scope> ... }")
	}
	c := &APIKeyConfig{Key: args[1]}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if d.Val() != "scopes" {
			return "", nil, d.Errf("unrecognized subdirective %q", d.Val())
		}
		vals := d.RemainingArgs()
		if len(vals) == 0 {
			return "", nil, d.ArgErr()
		}
		for _, s := range vals {
			if !core.KnownScope(s) {
				return "", nil, d.Errf("api_key %s: unknown scope %q (known: users.read, users.write, sessions.write)", args[0], s)
			}
		}
		c.Scopes = append(c.Scopes, vals...)
	}
	return args[0], c, nil
}

// apiKeys is the project's keys for core.Config, in name order.
func (p *Project) apiKeys() []core.APIKey {
	names := make([]string, 0, len(p.APIKeys))
	for name := range p.APIKeys {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []core.APIKey
	for _, name := range names {
		if k := p.APIKeys[name]; k != nil {
			out = append(out, core.APIKey{Name: name, Secret: k.Key, Scopes: k.Scopes})
		}
	}
	return out
}

package caddymodule

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/accountgate/accountgate/account/core"
)

func init() {
	httpcaddyfile.RegisterGlobalOption("accountgate", parseGlobal)
	httpcaddyfile.RegisterHandlerDirective("account_api", func(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
		v := new(APIHandler)
		return v, v.UnmarshalCaddyfile(h.Dispenser)
	})
	httpcaddyfile.RegisterHandlerDirective("account_gate", func(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
		v := new(Gate)
		return v, v.UnmarshalCaddyfile(h.Dispenser)
	})
	// The API and the gate run before the handlers that answer requests
	// (respond, reverse_proxy, file_server…) and before handle/route, so
	// a top-level gate guards every route. Users need no `order` option.
	httpcaddyfile.RegisterDirectiveOrder("account_api", httpcaddyfile.After, "forward_auth")
	httpcaddyfile.RegisterDirectiveOrder("account_gate", httpcaddyfile.Before, "request_header")
}

// parseGlobal parses the global option:
//
//	accountgate {
//		project <id> {
//			store sqlite <path> | store postgres <url> { schema, max_conns, min_conns, connect_timeout, query_timeout }
//			cache redis <url> { key_prefix <prefix>; sentinel <master> <addr>...; cluster <addr>... }
//			secret <secret>
//			platform <host> ...
//			public_url <url>
//			session_duration <duration>
//			max_sessions <n>
//			password_cost <memory KiB> <iterations> <parallelism>
//			password_concurrency <n>
//			cookie_domain <domain>
//			cache_size <n>
//			cache_ttl <duration>
//			previous_secret <secret>
//			password_history <n>
//			revoke_sessions_on_password_change
//			disable <method> ...
//			rate_limit off | rate_limit <name> <n>
//			rate_limit_keys <n>
//			log_retention <duration>
//			geoip <mmdb file>
//			log_emails
//			project_name <name>
//			mailer console | mailer smtp <host:port> { … }
//			mail_templates <dir>
//			sms console | sms twilio <SID> <token> <from> { base_url <url> }
//			oauth2 <provider> <client id> [<client secret>] { … }
//			api_key <name> <key> { scopes <scope> ... }
//			pages off | pages { prefix <path>; templates <dir>; css <file>; logo <file>; name <product name> }
//		}
//	}
//
// The option may appear more than once; projects accumulate.
func parseGlobal(d *caddyfile.Dispenser, existing any) (any, error) {
	app := &App{Projects: map[string]*Project{}}
	if prev, ok := existing.(httpcaddyfile.App); ok {
		if err := json.Unmarshal(prev.Value, app); err != nil {
			return nil, err
		}
	}
	d.Next() // option name
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if d.Val() != "project" {
			return nil, d.Errf("unrecognized subdirective %q (expected project)", d.Val())
		}
		if !d.NextArg() {
			return nil, d.ArgErr()
		}
		id := d.Val()
		if _, dup := app.Projects[id]; dup {
			return nil, d.Errf("project %q is defined twice", id)
		}
		if d.NextArg() {
			return nil, d.ArgErr()
		}
		p := &Project{}
		if err := parseProject(d, p); err != nil {
			return nil, err
		}
		app.Projects[id] = p
	}
	return httpcaddyfile.App{Name: "accountgate", Value: caddyconfig.JSON(app, nil)}, nil
}

func parseProject(d *caddyfile.Dispenser, p *Project) error {
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		sub := d.Val()
		args := d.RemainingArgs()
		one := func() (string, error) {
			if len(args) != 1 {
				return "", d.ArgErr()
			}
			return args[0], nil
		}
		var err error
		switch sub {
		case "store":
			p.Store, err = parseStore(d, args)
		case "cache":
			p.Cache, err = parseCache(d, args)
		case "secret":
			p.Secret, err = one()
		case "platform":
			if len(args) == 0 {
				return d.ArgErr()
			}
			p.Platforms = append(p.Platforms, args...)
		case "public_url":
			p.PublicURL, err = one()
		case "session_duration":
			p.SessionDuration, err = durationArg(d, args)
		case "max_sessions":
			p.MaxSessions, err = intArg(d, args)
		case "password_cost":
			if len(args) != 3 {
				return d.Err("usage: password_cost <memory KiB> <iterations> <parallelism>")
			}
			m, err1 := strconv.ParseUint(args[0], 10, 32)
			t, err2 := strconv.ParseUint(args[1], 10, 32)
			par, err3 := strconv.ParseUint(args[2], 10, 8)
			if err1 != nil || err2 != nil || err3 != nil || m == 0 || t == 0 || par == 0 {
				return d.Err("password_cost needs three positive integers: memory KiB, iterations, parallelism")
			}
			if p.Password == nil {
				p.Password = &PasswordConfig{}
			}
			p.Password.MemoryKiB, p.Password.Iterations, p.Password.Parallelism = uint32(m), uint32(t), uint8(par)
		case "password_concurrency":
			if p.Password == nil {
				p.Password = &PasswordConfig{}
			}
			p.Password.Concurrency, err = intArg(d, args)
		case "cookie_domain":
			p.CookieDomain, err = one()
		case "cache_size":
			p.CacheSize, err = intArg(d, args)
		case "cache_ttl":
			p.CacheTTL, err = durationArg(d, args)
		case "previous_secret":
			var v string
			v, err = one()
			p.PreviousSecrets = append(p.PreviousSecrets, v)
		case "password_history":
			p.PasswordHistory, err = intArg(d, args)
		case "revoke_sessions_on_password_change":
			if len(args) != 0 {
				return d.ArgErr()
			}
			p.RevokeSessionsOnPasswordChange = true
		case "disable":
			if len(args) == 0 {
				return d.ArgErr()
			}
			for _, m := range args {
				if _, ok := core.AuthMethod(m); !ok {
					return d.Errf("unknown sign-in method %q", m)
				}
			}
			p.Disable = append(p.Disable, args...)
		case "rate_limit":
			switch {
			case len(args) == 1 && args[0] == "off":
				p.RateLimitsOff = true
			case len(args) == 2:
				if _, ok := core.DefaultRateLimits()[args[0]]; !ok {
					return d.Errf("unknown rate limit %q", args[0])
				}
				n, convErr := strconv.Atoi(args[1])
				if convErr != nil || n < 0 {
					return d.Errf("rate limit %q needs a number of requests per hour (0 switches it off)", args[0])
				}
				if p.RateLimits == nil {
					p.RateLimits = map[string]int{}
				}
				p.RateLimits[args[0]] = n
			default:
				return d.Err("usage: rate_limit off | rate_limit <name> <requests per hour>")
			}
		case "rate_limit_keys":
			p.RateLimitKeys, err = intArg(d, args)
		case "log_retention":
			p.LogRetention, err = durationArg(d, args)
		case "geoip":
			p.GeoIPDatabase, err = one()
		case "log_emails":
			if len(args) != 0 {
				return d.ArgErr()
			}
			p.LogEmails = true
		case "project_name":
			p.ProjectName, err = one()
		case "mailer":
			var templates string
			if p.Mailer != nil {
				templates = p.Mailer.Templates
			}
			if p.Mailer, err = parseMailer(d, args); err == nil {
				p.Mailer.Templates = templates
			}
		case "mail_templates":
			if p.Mailer == nil {
				return d.Err("mail_templates needs a mailer line before it")
			}
			p.Mailer.Templates, err = one()
		case "sms":
			p.SMS, err = parseSMS(d, args)
		case "oauth2":
			var name string
			var c *OAuth2Config
			if name, c, err = parseOAuth2(d, args); err == nil {
				if p.OAuth2 == nil {
					p.OAuth2 = map[string]*OAuth2Config{}
				}
				if _, dup := p.OAuth2[name]; dup {
					return d.Errf("oauth2 %s is configured twice", name)
				}
				p.OAuth2[name] = c
			}
		case "api_key":
			var name string
			var k *APIKeyConfig
			if name, k, err = parseAPIKey(d, args); err == nil {
				if p.APIKeys == nil {
					p.APIKeys = map[string]*APIKeyConfig{}
				}
				if _, dup := p.APIKeys[name]; dup {
					return d.Errf("api_key %s is configured twice", name)
				}
				p.APIKeys[name] = k
			}
		case "pages":
			p.Pages, err = parsePages(d, args)
		default:
			return d.Errf("unrecognized subdirective %q", sub)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func intArg(d *caddyfile.Dispenser, args []string) (int, error) {
	if len(args) != 1 {
		return 0, d.ArgErr()
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return 0, d.Errf("%q is not an integer", args[0])
	}
	return n, nil
}

func durationArg(d *caddyfile.Dispenser, args []string) (caddy.Duration, error) {
	if len(args) != 1 {
		return 0, d.ArgErr()
	}
	v, err := caddy.ParseDuration(args[0])
	if err != nil || v < time.Second {
		return 0, d.Errf("%q is not a duration of at least 1s", args[0])
	}
	return caddy.Duration(v), nil
}

// parseStore parses `store sqlite <path>` and
// `store postgres <url> { schema <name>; max_conns <n>; min_conns <n>; connect_timeout <d>; query_timeout <d> }`.
func parseStore(d *caddyfile.Dispenser, args []string) (StoreConfig, error) {
	if len(args) != 2 || (args[0] != "sqlite" && args[0] != "postgres") {
		if len(args) > 0 && args[0] != "sqlite" && args[0] != "postgres" {
			return StoreConfig{}, d.Errf("unknown store kind %q (supported: sqlite, postgres)", args[0])
		}
		return StoreConfig{}, d.Err("usage: store sqlite <path> | store postgres <url> { … }")
	}
	c := StoreConfig{Kind: args[0], DSN: args[1]}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		sub := d.Val()
		vals := d.RemainingArgs()
		if c.Kind != "postgres" {
			return c, d.Errf("store sqlite takes no %q option", sub)
		}
		var err error
		switch sub {
		case "schema":
			if len(vals) != 1 {
				return c, d.ArgErr()
			}
			c.Schema = vals[0]
		case "max_conns":
			c.MaxConns, err = intArg(d, vals)
		case "min_conns":
			c.MinConns, err = intArg(d, vals)
		case "connect_timeout":
			c.ConnectTimeout, err = durationArg(d, vals)
		case "query_timeout":
			c.QueryTimeout, err = durationArg(d, vals)
		default:
			return c, d.Errf("unrecognized subdirective %q", sub)
		}
		if err != nil {
			return c, err
		}
	}
	return c, nil
}

// parseCache parses `cache redis <url> { key_prefix <p>; sentinel <master> <addr>...; cluster <addr>... }`.
func parseCache(d *caddyfile.Dispenser, args []string) (*CacheConfig, error) {
	if len(args) < 1 || len(args) > 2 || args[0] != "redis" {
		return nil, d.Err("usage: cache redis <url> { … }")
	}
	c := &CacheConfig{Kind: "redis"}
	if len(args) == 2 {
		c.URL = args[1]
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		sub := d.Val()
		vals := d.RemainingArgs()
		switch {
		case sub == "key_prefix" && len(vals) == 1:
			c.KeyPrefix = vals[0]
		case sub == "sentinel" && len(vals) >= 2:
			c.SentinelMaster, c.SentinelAddrs = vals[0], vals[1:]
		case sub == "cluster" && len(vals) >= 1:
			c.ClusterAddrs = vals
		default:
			return nil, d.Errf("unrecognized or incomplete subdirective %q", sub)
		}
	}
	if c.URL == "" && len(c.SentinelAddrs) == 0 && len(c.ClusterAddrs) == 0 {
		return nil, d.Err("cache redis needs a URL, a sentinel or a cluster")
	}
	return c, nil
}

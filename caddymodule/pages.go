package caddymodule

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/pages"
)

// PagesConfig configures a project's hosted pages (sign-in, sign-up,
// recovery, verification, account), served by account_api under Prefix.
// They are on by default.
type PagesConfig struct {
	// Off switches the pages off: their paths then go to the next handler.
	Off bool `json:"off,omitempty"`
	// Prefix is where the pages live. Default "/auth/".
	Prefix string `json:"prefix,omitempty"`
	// Templates is a directory whose *.html files replace the embedded
	// templates of the same name. Default none.
	Templates string `json:"templates,omitempty"`
	// CSS is a style sheet that replaces the embedded one. Default none.
	CSS string `json:"css,omitempty"`
	// Logo is an image file (.svg, .png, .jpg, .gif, .webp) shown above
	// every page. Default none.
	Logo string `json:"logo,omitempty"`
	// Name is the product name the pages show. Default: the project's
	// project_name, else its id.
	Name string `json:"name,omitempty"`
}

// pagesOn reports whether the project serves the hosted pages.
func (p *Project) pagesOn() bool { return p.Pages == nil || !p.Pages.Off }

// pagesPrefix is where the project's pages live.
func (p *Project) pagesPrefix() string {
	if p.Pages != nil && p.Pages.Prefix != "" {
		return p.Pages.Prefix
	}
	return pages.DefaultPrefix
}

// hostedPages loads the project's pages; nil when they are off.
func (p *Project) hostedPages(id string) (*pages.Pages, error) {
	if !p.pagesOn() {
		return nil, nil
	}
	c := p.Pages
	if c == nil {
		c = &PagesConfig{}
	}
	disabled := func(m core.AuthMethodName) bool { return slices.Contains(p.Disable, string(m)) }
	cfg := pages.Config{
		Prefix: p.pagesPrefix(), ProjectID: id, PublicURL: p.PublicURL,
		Product:       cmp.Or(c.Name, p.ProjectName, id),
		EmailPassword: !disabled(core.MethodEmailPassword),
		MagicURL:      !disabled(core.MethodMagicURL) && p.Mailer != nil,
		Phone:         !disabled(core.MethodPhone) && p.SMS != nil,
		Templates:     c.Templates, CSS: c.CSS, Logo: c.Logo,
	}
	if !disabled(core.MethodOAuth2) {
		for name := range p.OAuth2 {
			cfg.OAuth2 = append(cfg.OAuth2, name)
		}
		slices.Sort(cfg.OAuth2)
	}
	return pages.New(cfg)
}

// validate checks the pages' options without I/O.
func (c *PagesConfig) validate() error {
	if c == nil || c.Off {
		return nil
	}
	if c.Prefix != "" {
		if err := pages.CheckPrefix(c.Prefix); err != nil {
			return err
		}
	}
	return nil
}

// parsePages parses `pages off` and
// `pages { prefix <path>; templates <dir>; css <file>; logo <file>; name <product name> }`.
func parsePages(d *caddyfile.Dispenser, args []string) (*PagesConfig, error) {
	c := &PagesConfig{}
	switch {
	case len(args) == 1 && args[0] == "off":
		c.Off = true
		if d.NextBlock(d.Nesting()) {
			return nil, d.Err("pages off takes no block")
		}
		return c, nil
	case len(args) != 0:
		return nil, d.Err("usage: pages off | pages { prefix, templates, css, logo, name }")
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		sub := d.Val()
		vals := d.RemainingArgs()
		if len(vals) != 1 {
			return nil, d.Errf("pages %s needs one value", sub)
		}
		switch sub {
		case "prefix":
			c.Prefix = vals[0]
			if err := pages.CheckPrefix(c.Prefix); err != nil {
				return nil, d.Err(err.Error())
			}
		case "templates":
			c.Templates = vals[0]
		case "css":
			c.CSS = vals[0]
		case "logo":
			c.Logo = vals[0]
		case "name":
			c.Name = vals[0]
		default:
			return nil, d.Errf("unrecognized subdirective %q", sub)
		}
	}
	return c, nil
}

// pagesError wraps a pages loading error with the project.
func pagesError(id string, err error) error { return fmt.Errorf("project %s: %w", id, err) }

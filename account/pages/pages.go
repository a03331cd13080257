package pages

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
)

// DefaultPrefix is where the pages live unless configured otherwise.
const DefaultPrefix = "/auth/"

// Config describes a project's pages.
type Config struct {
	// Prefix is the path the pages live under, with a slash at both ends.
	// Default DefaultPrefix.
	Prefix string
	// ProjectID is the Appwrite project id the in-process API calls name.
	ProjectID string
	// PublicURL is the base of the links the API mails (recovery,
	// verification, magic URL) and of the OAuth2 return addresses.
	PublicURL string
	// Product names the site on every page. Default: the project id.
	Product string
	// EmailPassword, MagicURL and Phone switch the sign-in forms on.
	EmailPassword, MagicURL, Phone bool
	// OAuth2 lists the configured OAuth2 providers, one button each.
	OAuth2 []string
	// Templates, if set, is a directory whose *.html files replace the
	// embedded templates of the same name.
	Templates string
	// CSS and Logo, if set, are files that replace the embedded style
	// sheet and add a logo.
	CSS, Logo string
}

// Pages serves the hosted sign-in and account pages of one project. It
// holds no state of its own: every action runs the Account API handler
// in-process, so the API's checks (Origin, rate limits, security log)
// apply to the pages as they do to SDK clients.
type Pages struct {
	cfg      Config
	public   string // PublicURL without a trailing slash
	views    map[string]*view
	css      []byte
	logo     []byte
	logoType string
}

// New loads the templates and files of cfg. It reads files only: call it
// when the configuration is provisioned.
func New(cfg Config) (*Pages, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if err := CheckPrefix(cfg.Prefix); err != nil {
		return nil, err
	}
	if cfg.Product == "" {
		cfg.Product = cfg.ProjectID
	}
	p := &Pages{cfg: cfg, public: strings.TrimSuffix(cfg.PublicURL, "/")}
	var err error
	if p.views, err = loadViews(cfg.Templates); err != nil {
		return nil, err
	}
	if p.css, err = staticFS.ReadFile("static/style.css"); err != nil {
		return nil, err
	}
	if cfg.CSS != "" {
		if p.css, err = os.ReadFile(cfg.CSS); err != nil {
			return nil, fmt.Errorf("pages: css: %w", err)
		}
	}
	if cfg.Logo != "" {
		if p.logo, err = os.ReadFile(cfg.Logo); err != nil {
			return nil, fmt.Errorf("pages: logo: %w", err)
		}
		if p.logoType = imageTypes[strings.ToLower(path.Ext(cfg.Logo))]; p.logoType == "" {
			return nil, fmt.Errorf("pages: logo %s: use a .svg, .png, .jpg, .gif or .webp file", cfg.Logo)
		}
	}
	return p, nil
}

var imageTypes = map[string]string{".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
	".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp"}

// CheckPrefix reports a prefix that is not an absolute path with a slash
// at the end, or one that would shadow the API.
func CheckPrefix(prefix string) error {
	u, err := url.Parse(prefix)
	switch {
	case err != nil || u.Scheme != "" || u.Host != "" || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("pages: prefix %q must be a path such as /auth/", prefix)
	case !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") || strings.HasPrefix(prefix, "//") || prefix == "/":
		return fmt.Errorf("pages: prefix %q must start and end with a slash, e.g. /auth/", prefix)
	case strings.HasPrefix(prefix, "/v1/"):
		return errors.New("pages: the prefix must not lie under /v1/, the API's place")
	}
	return nil
}

// Prefix is the path the pages live under.
func (p *Pages) Prefix() string { return p.cfg.Prefix }

// SignInURL is the sign-in page's path with ret as the return path.
func (p *Pages) SignInURL(ret string) string { return p.pageURL("signin", ret) }

// MFAURL is the second-factor page's path with ret as the return path.
func (p *Pages) MFAURL(ret string) string { return p.pageURL("mfa", ret) }

func (p *Pages) pageURL(page, ret string) string {
	return p.cfg.Prefix + page + "?" + url.Values{"return": {CleanReturn(ret)}}.Encode()
}

// Owns reports whether path is one of the pages or their files.
func (p *Pages) Owns(path string) bool {
	name, ok := strings.CutPrefix(path, p.cfg.Prefix)
	if !ok {
		return false
	}
	_, page := handlers[name]
	return page || name == "style.css" || name == "pages.js" || (name == "logo" && p.logo != nil)
}

// Handler serves the pages with api as the Account API handler.
func (p *Pages) Handler(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.Serve(w, r, api) })
}

// Serve answers a request for one of the pages (see Owns); api is the
// project's Account API handler, run in-process for every action.
func (p *Pages) Serve(w http.ResponseWriter, r *http.Request, api http.Handler) {
	name := strings.TrimPrefix(r.URL.Path, p.cfg.Prefix)
	switch name {
	case "style.css":
		p.file(w, r, "text/css; charset=utf-8", p.css)
		return
	case "pages.js":
		js, _ := staticFS.ReadFile("static/pages.js")
		p.file(w, r, "text/javascript; charset=utf-8", js)
		return
	case "logo":
		if p.logo != nil {
			p.file(w, r, p.logoType, p.logo)
			return
		}
	}
	h, ok := handlers[name]
	if !ok {
		p.render(w, http.StatusNotFound, "notfound", p.newData("/"))
		return
	}
	c := &call{p: p, w: w, r: r, api: api}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if h.get == nil {
			break
		}
		h.get(c)
		return
	case http.MethodPost:
		if h.post == nil {
			break
		}
		// A body larger than any form of ours is refused unread.
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			p.render(w, http.StatusBadRequest, "notfound", p.newData("/"))
			return
		}
		h.post(c)
		return
	}
	allow := "GET, HEAD"
	if h.post != nil {
		allow += ", POST"
	}
	w.Header().Set("Allow", allow)
	p.render(w, http.StatusMethodNotAllowed, "notfound", p.newData("/"))
}

// maxFormBytes bounds a form post; the largest form holds two passwords.
const maxFormBytes = 16 << 10

// file sends one of the pages' static files.
func (p *Pages) file(w http.ResponseWriter, r *http.Request, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	// An SVG logo opened on its own must not run script.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	w.Write(body)
}

// CSP is the pages' Content-Security-Policy: nothing inline, nothing
// from elsewhere, forms only to this site, never in a frame.
const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// setHeaders sets the headers of every page.
func setHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", CSP)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// same-origin, not no-referrer: with no-referrer Chromium sends
	// `Origin: null` on form posts, which the API's Origin check refuses.
	// The secrets in reset and magic-link URLs still never leave the site.
	h.Set("Referrer-Policy", "same-origin")
}

// Refuse answers a browser that a gate refused (a policy, a requirement,
// a blocked account): a page with the reason in words, and a link to
// verify the email address when that is the cause.
func (p *Pages) Refuse(w http.ResponseWriter, r *http.Request, status int, errType, message string, verifyEmail bool) {
	d := p.newData("/")
	d.Error, d.Form = &apiError{Type: errType, Message: message, Code: status}, "gate"
	d.VerifyEmail = verifyEmail
	p.render(w, status, "refused", d)
}

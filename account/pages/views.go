package pages

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// sharedTemplates are parsed into every page: the layout and the parts
// the pages share (error texts, provider names, field errors).
var sharedTemplates = []string{"layout.html", "parts.html"}

// pageNames are the pages, one template file each.
var pageNames = []string{"signin", "signup", "sent", "phone-code", "forgot", "reset", "verify",
	"magic-url", "mfa", "account", "done", "refused", "notfound"}

// view is one page's template set; executing "layout" renders it.
type view struct{ t *template.Template }

// loadViews parses the embedded templates, each replaced by the file of
// the same name in dir when there is one.
func loadViews(dir string) (map[string]*view, error) {
	files := map[string]string{}
	embedded, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range embedded {
		b, err := templateFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		files[filepath.Base(name)] = string(b)
	}
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("pages: templates: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".html") {
				continue
			}
			// A misspelt name would be silently ignored: refuse it.
			if _, known := files[e.Name()]; !known {
				return nil, fmt.Errorf("pages: templates: %s replaces no template (known: %s)", e.Name(), knownTemplates(files))
			}
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("pages: templates: %w", err)
			}
			files[e.Name()] = string(b)
		}
	}
	base := template.New("layout")
	for _, name := range sharedTemplates {
		if _, err := base.New(name).Parse(files[name]); err != nil {
			return nil, fmt.Errorf("pages: template %s: %w", name, err)
		}
	}
	views := map[string]*view{}
	for _, page := range pageNames {
		t, err := base.Clone()
		if err == nil {
			_, err = t.New(page + ".html").Parse(files[page+".html"])
		}
		if err == nil && t.Lookup("main") == nil {
			err = fmt.Errorf("it defines no \"main\"")
		}
		if err != nil {
			return nil, fmt.Errorf("pages: template %s.html: %w", page, err)
		}
		views[page] = &view{t: t}
	}
	return views, nil
}

func knownTemplates(files map[string]string) string {
	var names []string
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// data is what every page template sees.
type data struct {
	Product string
	Logo    bool
	Prefix  string
	Page    string
	// Return is the same-site path to go on to once signed in.
	Return string
	// Methods on the sign-in page.
	EmailPassword, MagicURL, Phone bool
	OAuth2                         []oauthButton
	// Error is the API's refusal of the form named Form.
	Error *apiError
	Form  string
	// Values are the posted values shown again (never a password).
	Values url.Values
	// Notice names what just happened ("magic", "recovery", "reset",
	// "verified", "name", …); the templates hold the words.
	Notice string
	// UserID and Secret are carried through the reset, verification,
	// magic-URL and phone-code forms.
	UserID, Secret string
	// The second-factor page: the account's factors, and the challenge
	// whose code the email or phone form asks for.
	Factors     *factors
	ChallengeID string
	// The account page.
	Account  *accountInfo
	Sessions []sessionInfo
	Logs     []logInfo
	// VerifyEmail offers the account page on a refusal that a verified
	// email address would lift.
	VerifyEmail bool
}

type oauthButton struct{ Name, URL string }

// ErrFor is the error of form's field, if that is what failed.
func (d *data) ErrFor(form, field string) *apiError {
	if d.Error != nil && d.Form == form && d.Error.Field == field {
		return d.Error
	}
	return nil
}

// FormErr is the error of form that no visible field of it carries.
func (d *data) FormErr(form string) *apiError {
	if d.Error != nil && d.Form == form && d.Error.Field == "" {
		return d.Error
	}
	return nil
}

// Value is a posted value of form, to fill its field again.
func (d *data) Value(form, name string) string {
	if d.Form != form {
		return ""
	}
	return d.Values.Get(name)
}

// newData fills what every page shows.
func (p *Pages) newData(ret string) *data {
	d := &data{Product: p.cfg.Product, Logo: p.logo != nil, Prefix: p.cfg.Prefix, Return: ret,
		EmailPassword: p.cfg.EmailPassword, MagicURL: p.cfg.MagicURL, Phone: p.cfg.Phone}
	for _, name := range p.cfg.OAuth2 {
		d.OAuth2 = append(d.OAuth2, oauthButton{Name: name, URL: p.oauthURL(name, ret)})
	}
	return d
}

// oauthURL starts an OAuth2 sign-in that comes back to ret, or to the
// sign-in page with the error.
func (p *Pages) oauthURL(provider, ret string) string {
	q := url.Values{
		"project": {p.cfg.ProjectID},
		"success": {p.public + ret},
		"failure": {p.public + p.pageURL("signin", ret)},
	}
	return "/v1/account/sessions/oauth2/" + url.PathEscape(provider) + "?" + q.Encode()
}

// render writes page with status; HEAD gets the headers only.
func (p *Pages) render(w http.ResponseWriter, status int, page string, d *data) {
	d.Page = page
	var buf bytes.Buffer
	if err := p.views[page].t.ExecuteTemplate(&buf, "layout", d); err != nil {
		// Only an operator's template can fail here; the visitor learns no detail.
		http.Error(w, "This page could not be shown.", http.StatusInternalServerError)
		return
	}
	setHeaders(w.Header())
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	texttemplate "text/template"
	"time"
)

// Kind names one of the account e-mails.
type Kind string

// The kinds of account e-mail.
const (
	// KindMagicURL is the magic-URL login e-mail (subject "Login").
	KindMagicURL Kind = "magic-url"
	// KindRecovery is the password recovery e-mail (subject "Password Reset").
	KindRecovery Kind = "recovery"
	// KindVerification is the e-mail address verification e-mail (subject
	// "Account Verification").
	KindVerification Kind = "verification"
	// KindOTP is the e-mail carrying a six-digit sign-in code (email OTP).
	KindOTP Kind = "otp"
)

// Kinds lists every Kind, in a fixed order.
var Kinds = []Kind{KindMagicURL, KindRecovery, KindVerification, KindOTP}

// TemplateData is what the templates can use.
type TemplateData struct {
	// Project is the project (application) name shown to the user.
	Project string
	// Name is the recipient's name; it may be empty. The built-in magic-url
	// template does not use it.
	Name string
	// Link is the secret URL the e-mail is about. It appears verbatim in
	// the plain-text body.
	Link string
	// Expire tells in words how long the link is valid, e.g. "1 hour"
	// (see FormatDuration); empty leaves the sentence out.
	Expire string
	// Code is the six-digit sign-in code of the otp mail; "" in the others.
	Code string
	// Phrase is the security phrase the sign-in page also shows, when the
	// client asked for one (magic-url and otp mails); "" otherwise.
	Phrase string
}

// Template file extensions: a directory given to LoadTemplates may hold any
// of <kind>.subject, <kind>.txt and <kind>.html.
const (
	extSubject = ".subject"
	extText    = ".txt"
	extHTML    = ".html"
)

//go:embed templates/*.subject templates/*.txt templates/*.html
var builtin embed.FS

// kindTemplates are the parsed templates of one Kind.
type kindTemplates struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

// Templates renders the account e-mails. It is safe for concurrent use.
type Templates struct {
	kinds map[Kind]kindTemplates
}

// LoadTemplates parses the templates of every Kind. With dir "" only the
// built-in templates are used; otherwise each of <kind>.subject, <kind>.txt
// (both text/template) and <kind>.html (html/template) found in dir
// replaces the built-in one, and missing files fall back to the built-ins.
//
// A file that does not parse, or that fails to execute on sample data (e.g.
// it names a field TemplateData lacks), is an error naming the file.
func LoadTemplates(dir string) (*Templates, error) {
	if dir != "" {
		fi, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("mail: templates directory: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("mail: templates directory %s is not a directory", dir)
		}
	}
	t := &Templates{kinds: make(map[Kind]kindTemplates, len(Kinds))}
	for _, k := range Kinds {
		var kt kindTemplates
		var err error
		if kt.subject, err = loadText(dir, k, extSubject); err != nil {
			return nil, err
		}
		if kt.text, err = loadText(dir, k, extText); err != nil {
			return nil, err
		}
		if kt.html, err = loadHTML(dir, k); err != nil {
			return nil, err
		}
		t.kinds[k] = kt
	}
	return t, nil
}

// sample is the data templates are test-executed with at load time.
var sample = TemplateData{
	Project: "Project", Name: "Name", Link: "https://example.com/?secret=1", Expire: "1 hour",
	Code: "123456", Phrase: "Brave Otter",
}

// source reads <kind><ext> from dir when it is there, else the built-in
// file. It returns the contents and the name to use in errors.
func source(dir string, k Kind, ext string) (string, string, error) {
	file := string(k) + ext
	if dir != "" {
		p := filepath.Join(dir, file)
		b, err := os.ReadFile(p)
		if err == nil {
			return string(b), p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", p, fmt.Errorf("mail: template %s: %w", p, err)
		}
	}
	b, err := builtin.ReadFile("templates/" + file)
	if err != nil {
		return "", file, fmt.Errorf("mail: built-in template %s: %w", file, err)
	}
	return string(b), "built-in " + file, nil
}

func loadText(dir string, k Kind, ext string) (*texttemplate.Template, error) {
	src, name, err := source(dir, k, ext)
	if err != nil {
		return nil, err
	}
	t, err := texttemplate.New(name).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, fmt.Errorf("mail: template %s: %w", name, err)
	}
	if err := t.Execute(io.Discard, sample); err != nil {
		return nil, fmt.Errorf("mail: template %s: %w", name, err)
	}
	return t, nil
}

func loadHTML(dir string, k Kind) (*htmltemplate.Template, error) {
	src, name, err := source(dir, k, extHTML)
	if err != nil {
		return nil, err
	}
	t, err := htmltemplate.New(name).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, fmt.Errorf("mail: template %s: %w", name, err)
	}
	if err := t.Execute(io.Discard, sample); err != nil {
		return nil, fmt.Errorf("mail: template %s: %w", name, err)
	}
	return t, nil
}

// Render returns the subject (one line, trimmed), the plain-text body and
// the HTML body of kind for d. Data is escaped in the HTML body only.
// Errors never contain the rendered bodies or d.Link.
func (t *Templates) Render(kind Kind, d TemplateData) (subject, text, html string, err error) {
	kt, ok := t.kinds[kind]
	if !ok {
		return "", "", "", fmt.Errorf("mail: unknown template kind %q", kind)
	}
	var b bytes.Buffer
	if err := kt.subject.Execute(&b, d); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s subject: %s", kind, redactLink(err, d))
	}
	subject = strings.Join(strings.Fields(b.String()), " ")
	b.Reset()
	if err := kt.text.Execute(&b, d); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s text: %s", kind, redactLink(err, d))
	}
	text = b.String()
	b.Reset()
	if err := kt.html.Execute(&b, d); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s html: %s", kind, redactLink(err, d))
	}
	return subject, text, b.String(), nil
}

func redactLink(err error, d TemplateData) string {
	if d.Link == "" {
		return err.Error()
	}
	return strings.ReplaceAll(err.Error(), d.Link, "[redacted]")
}

// FormatDuration writes d in words for TemplateData.Expire, in the largest
// unit that expresses it exactly (after truncating to whole seconds):
// "1 hour", "90 minutes", "2 days", "30 seconds".
func FormatDuration(d time.Duration) string {
	d = d.Truncate(time.Second)
	if d <= 0 {
		return "0 seconds"
	}
	units := []struct {
		size time.Duration
		name string
	}{
		{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"},
	}
	for _, u := range units {
		if d%u.size != 0 {
			continue
		}
		if n := int64(d / u.size); n != 1 {
			return fmt.Sprintf("%d %ss", n, u.name)
		}
		return "1 " + u.name
	}
	return "0 seconds" // unreachable: d is a whole number of seconds
}

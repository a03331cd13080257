package mail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBuiltinTemplates(t *testing.T) {
	tpl, err := LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	d := TemplateData{Project: "Acme", Name: "Ada", Link: testLink, Expire: "1 hour"}
	wantSubject := map[Kind]string{
		KindMagicURL:     "Login",
		KindRecovery:     "Password Reset",
		KindVerification: "Account Verification",
		KindOTP:          "Sign-in code for Acme",
	}
	// Sign-in mails go to addresses that may have no account yet: they
	// greet no one by name.
	anonymous := map[Kind]bool{KindMagicURL: true, KindOTP: true}
	for _, k := range Kinds {
		if k == KindOTP {
			checkOTP(t, tpl, d)
			continue
		}
		subject, text, html, err := tpl.Render(k, d)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if subject != wantSubject[k] {
			t.Errorf("%s: subject %q, want %q", k, subject, wantSubject[k])
		}
		if !strings.Contains(text, testLink) {
			t.Errorf("%s: text lacks the verbatim link:\n%s", k, text)
		}
		for _, want := range []string{"Acme", "1 hour"} {
			if !strings.Contains(text, want) || !strings.Contains(html, want) {
				t.Errorf("%s: text or html lacks %q", k, want)
			}
		}
		// In HTML the link is attribute-escaped: & becomes &amp;.
		if !strings.Contains(html, strings.ReplaceAll(testLink[:60], "&", "&amp;")) {
			t.Errorf("%s: html lacks the link:\n%s", k, html)
		}
		if !strings.HasPrefix(html, "<!DOCTYPE html>") {
			t.Errorf("%s: html is not a document", k)
		}
		greeted := strings.Contains(text, "Hello Ada,")
		if anonymous[k] && (greeted || strings.Contains(html, "Ada")) {
			t.Errorf("%s mail names the recipient:\n%s", k, text)
		}
		if !anonymous[k] && (!greeted || !strings.Contains(html, "Hello Ada,")) {
			t.Errorf("%s: no greeting by name:\n%s", k, text)
		}
	}
}

// checkOTP checks the otp mail: the code in both bodies, no link, no name.
func checkOTP(t *testing.T, tpl *Templates, d TemplateData) {
	t.Helper()
	d.Code, d.Link = "042917", ""
	subject, text, html, err := tpl.Render(KindOTP, d)
	if err != nil {
		t.Fatalf("otp: %v", err)
	}
	if subject != "Sign-in code for Acme" {
		t.Errorf("otp: subject %q", subject)
	}
	for _, want := range []string{"042917", "Acme", "1 hour"} {
		if !strings.Contains(text, want) || !strings.Contains(html, want) {
			t.Errorf("otp: text or html lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Ada") || strings.Contains(html, "Ada") || strings.Contains(text, "phrase") {
		t.Errorf("otp: names the recipient or shows a phrase unasked:\n%s", text)
	}
}

// TestTemplatesPhrase: the security phrase appears in the sign-in mails
// only when there is one, escaped in HTML.
func TestTemplatesPhrase(t *testing.T) {
	tpl, err := LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []Kind{KindMagicURL, KindOTP} {
		d := TemplateData{Project: "Acme", Link: testLink, Code: "123456", Phrase: "Brave <Otter>"}
		_, text, html, err := tpl.Render(k, d)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if !strings.Contains(text, "Security phrase: Brave <Otter>") || !strings.Contains(html, "Brave &lt;Otter&gt;") {
			t.Errorf("%s: phrase missing or unescaped:\n%s\n%s", k, text, html)
		}
		d.Phrase = ""
		_, text, html, _ = tpl.Render(k, d)
		if strings.Contains(text, "phrase") || strings.Contains(html, "phrase") {
			t.Errorf("%s: phrase sentence without a phrase:\n%s", k, text)
		}
	}
}

func TestTemplatesOptionalFields(t *testing.T) {
	tpl, err := LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	_, text, html, err := tpl.Render(KindVerification, TemplateData{Project: "Acme", Link: testLink})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "Hello,") || !strings.Contains(html, "Hello,") {
		t.Errorf("greeting without a name:\n%s", text)
	}
	if strings.Contains(text, "expires") || strings.Contains(html, "expires") {
		t.Errorf("expiry sentence without Expire:\n%s", text)
	}
}

func TestTemplatesEscapeHTML(t *testing.T) {
	tpl, err := LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	d := TemplateData{
		Project: `Acme & <b>Co</b>`, Name: `<script>alert(1)</script>`,
		Link: `javascript:alert(1)`, Expire: "1 hour",
	}
	_, text, html, err := tpl.Render(KindRecovery, d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, "<script>") || strings.Contains(html, "<b>Co") {
		t.Errorf("html not escaped:\n%s", html)
	}
	if !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("escaped name missing:\n%s", html)
	}
	if strings.Contains(html, `href="javascript:`) {
		t.Errorf("unsafe URL in href:\n%s", html)
	}
	if !strings.Contains(text, "Hello <script>alert(1)</script>,") {
		t.Errorf("plain text must not be HTML-escaped:\n%s", text)
	}
}

func TestTemplatesUnknownKind(t *testing.T) {
	tpl, err := LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := tpl.Render("welcome", TemplateData{}); err == nil {
		t.Fatal("unknown kind rendered")
	}
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTemplatesOverride(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "recovery.txt", "Reset for {{.Name}} at {{.Project}}: {{.Link}}\n")
	tpl, err := LoadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := TemplateData{Project: "Acme", Name: "Ada", Link: testLink}
	subject, text, html, err := tpl.Render(KindRecovery, d)
	if err != nil {
		t.Fatal(err)
	}
	if text != "Reset for Ada at Acme: "+testLink+"\n" {
		t.Errorf("override not used: %q", text)
	}
	if subject != "Password Reset" || !strings.Contains(html, "Hello Ada,") {
		t.Errorf("built-in subject/html not kept: %q\n%s", subject, html)
	}
	_, text, _, err = tpl.Render(KindVerification, d)
	if err != nil || !strings.HasPrefix(text, "Hello Ada,") {
		t.Errorf("other kinds must stay built-in: %v\n%s", err, text)
	}
}

func TestTemplatesOverrideSubjectIsOneLine(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "magic-url.subject", "\n  Sign in to\n{{.Project}}  \n")
	tpl, err := LoadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	subject, _, _, err := tpl.Render(KindMagicURL, TemplateData{Project: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	if subject != "Sign in to Acme" {
		t.Errorf("subject %q", subject)
	}
}

func TestTemplatesBrokenFile(t *testing.T) {
	for name, content := range map[string]string{
		"recovery.html":        "<p>{{.Name</p>",
		"verification.txt":     "{{if .Name}}unclosed",
		"magic-url.subject":    "{{.Nonexistent}}",
		"verification.subject": "{{template \"missing\"}}",
	} {
		dir := t.TempDir()
		writeFile(t, dir, name, content)
		_, err := LoadTemplates(dir)
		if err == nil {
			t.Errorf("%s: broken template loaded", name)
			continue
		}
		if !strings.Contains(err.Error(), filepath.Join(dir, name)) {
			t.Errorf("%s: error does not name the file: %v", name, err)
		}
	}
}

func TestTemplatesMissingDir(t *testing.T) {
	if _, err := LoadTemplates(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Fatal("missing directory accepted")
	}
	f := filepath.Join(t.TempDir(), "file")
	writeFile(t, filepath.Dir(f), "file", "x")
	if _, err := LoadTemplates(f); err == nil {
		t.Fatal("file accepted as directory")
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                 "0 seconds",
		500 * time.Millisecond:            "0 seconds",
		time.Second:                       "1 second",
		30 * time.Second:                  "30 seconds",
		15 * time.Minute:                  "15 minutes",
		time.Hour:                         "1 hour",
		90 * time.Minute:                  "90 minutes",
		24 * time.Hour:                    "1 day",
		36 * time.Hour:                    "36 hours",
		7 * 24 * time.Hour:                "7 days",
		time.Hour + 1500*time.Millisecond: "3601 seconds",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

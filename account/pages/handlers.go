package pages

import (
	"net/http"
	"net/url"
	"slices"
)

// handler is one page: what GET shows and what a form POST does.
type handler struct{ get, post func(*call) }

// handlers are the pages by their name under the prefix.
var handlers = map[string]handler{
	"signin":               {get: (*call).signInPage, post: (*call).signIn},
	"magic-link":           {post: (*call).sendMagicLink},
	"phone":                {post: (*call).sendPhoneCode},
	"phone-code":           {post: (*call).phoneCode},
	"signup":               {get: (*call).signUpPage, post: (*call).signUp},
	"forgot":               {get: (*call).forgotPage, post: (*call).forgot},
	"reset":                {get: linkPage("reset"), post: (*call).reset},
	"verify":               {get: linkPage("verify"), post: (*call).verify},
	"magic-url":            {get: linkPage("magic-url"), post: (*call).magicURL},
	"mfa":                  {get: (*call).mfaPage, post: (*call).mfa},
	"mfa/send":             {post: (*call).mfaSend},
	"account":              {get: (*call).accountPage},
	"account/name":         {post: (*call).updateName},
	"account/password":     {post: (*call).updatePassword},
	"account/verification": {post: (*call).sendVerification},
	"account/session":      {post: (*call).signOutSession},
	"account/sessions":     {post: (*call).signOutEverywhere},
	"signout":              {post: (*call).signOut},
}

// call is one request for a page.
type call struct {
	p   *Pages
	w   http.ResponseWriter
	r   *http.Request
	api http.Handler
}

// ret is the request's return path (query or form), made safe.
func (c *call) ret() string { return CleanReturn(c.r.FormValue("return")) }

func (c *call) data() *data { return c.p.newData(c.ret()) }

func (c *call) show(status int, page string, d *data) { c.p.render(c.w, status, page, d) }

// redirect ends a successful form post: 303, so the browser GETs target.
func (c *call) redirect(target string) {
	setHeaders(c.w.Header())
	http.Redirect(c.w, c.r, target, http.StatusSeeOther)
}

// page is a page URL under the prefix.
func (c *call) page(name string) string { return c.p.cfg.Prefix + name }

// link is a page URL for the API to mail.
func (c *call) link(name string, q url.Values) string {
	u := c.p.public + c.p.cfg.Prefix + name
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// fail shows page again with the API's error next to one of the form's
// visible fields, or above the form when it names none of them.
func (c *call) fail(page, form string, res *result, visible ...string) {
	d := c.data()
	c.failWith(d, page, form, res, visible...)
}

func (c *call) failWith(d *data, page, form string, res *result, visible ...string) {
	e := *res.err
	if !slices.Contains(visible, e.Field) {
		e.Field = ""
	}
	d.Error, d.Form = &e, form
	d.Values = url.Values{}
	for k, v := range c.r.PostForm {
		// Passwords and secrets are never written back into a page.
		if k != "password" && k != "passwordAgain" && k != "oldPassword" && k != "secret" && k != "otp" {
			d.Values[k] = v
		}
	}
	c.show(res.status, page, d)
}

// form picks the named fields of the post for the API; an empty field
// is left out, so the API says which required one is missing.
func (c *call) form(names ...string) url.Values {
	v := url.Values{}
	for _, n := range names {
		if value := c.r.PostForm.Get(n); value != "" {
			v.Set(n, value)
		}
	}
	return v
}

func (c *call) signInPage() {
	// Someone already signed in goes straight on (or to the second
	// factor): the gate sends only those without a valid session here.
	if c.r.Header.Get("Cookie") != "" {
		res := c.callAPI(http.MethodGet, "", nil)
		switch {
		case res.err == nil:
			c.redirect(c.ret())
			return
		case res.err.Type == "user_more_factors_required":
			c.redirect(c.p.MFAURL(c.ret()))
			return
		}
	}
	d := c.data()
	if c.r.URL.Query().Get("signedout") != "" {
		d.Notice = "signedout"
	}
	// An OAuth2 sign-in that failed comes back here with the error.
	if raw := c.r.URL.Query().Get("error"); raw != "" {
		d.Error, d.Form = &apiError{Type: "general_unknown"}, "oauth2"
		if res := (&result{body: []byte(raw)}); !res.decode(d.Error) || d.Error.Type == "" {
			d.Error = &apiError{Type: "general_unknown"}
		}
		d.Error.Field = ""
	}
	c.show(http.StatusOK, "signin", d)
}

func (c *call) signIn() {
	res := c.callAPI(http.MethodPost, "/sessions/email", c.form("email", "password"))
	// Already signed in: go on as if this sign-in had worked.
	if res.err != nil && res.err.Type != "user_session_already_exists" {
		c.fail("signin", "signin", res, "email", "password")
		return
	}
	c.redirect(c.ret())
}

func (c *call) sendMagicLink() {
	q := c.form("email")
	q.Set("userId", "unique()")
	q.Set("url", c.link("magic-url", url.Values{"return": {c.ret()}}))
	res := c.callAPI(http.MethodPost, "/sessions/magic-url", q)
	if res.err != nil {
		c.fail("signin", "magic", res, "email")
		return
	}
	d := c.data()
	d.Notice = "magic"
	c.show(http.StatusOK, "sent", d)
}

func (c *call) sendPhoneCode() {
	q := c.form("phone")
	q.Set("userId", "unique()")
	res := c.callAPI(http.MethodPost, "/sessions/phone", q)
	if res.err != nil {
		c.fail("signin", "phone", res, "phone")
		return
	}
	var tok struct {
		UserID string `json:"userId"`
	}
	res.decode(&tok)
	d := c.data()
	d.UserID = tok.UserID
	c.show(http.StatusOK, "phone-code", d)
}

func (c *call) phoneCode() {
	res := c.callAPI(http.MethodPut, "/sessions/phone", c.form("userId", "secret"))
	if res.err != nil && res.err.Type != "user_session_already_exists" {
		d := c.data()
		d.UserID = c.r.PostForm.Get("userId")
		c.failWith(d, "phone-code", "phone-code", res, "secret")
		return
	}
	c.redirect(c.ret())
}

func (c *call) signUpPage() { c.show(http.StatusOK, "signup", c.data()) }

func (c *call) signUp() {
	q := c.form("name", "email", "password")
	q.Set("userId", "unique()")
	if res := c.callAPI(http.MethodPost, "", q); res.err != nil {
		c.fail("signup", "signup", res, "name", "email", "password")
		return
	}
	res := c.callAPI(http.MethodPost, "/sessions/email", c.form("email", "password"))
	if res.err != nil && res.err.Type != "user_session_already_exists" {
		c.fail("signup", "signup", res, "name", "email", "password")
		return
	}
	c.redirect(c.ret())
}

func (c *call) forgotPage() { c.show(http.StatusOK, "forgot", c.data()) }

func (c *call) forgot() {
	q := c.form("email")
	q.Set("url", c.link("reset", nil))
	res := c.callAPI(http.MethodPost, "/recovery", q)
	// The page says the same whether or not the address has an account.
	if res.err != nil && res.err.Type != "user_not_found" {
		c.fail("forgot", "forgot", res, "email")
		return
	}
	d := c.data()
	d.Notice = "recovery"
	c.show(http.StatusOK, "sent", d)
}

// linkPage shows the page a mailed link opens: a form holding the link's
// userId and secret. Opening the link changes nothing (mail scanners
// fetch links); the form's post does.
func linkPage(page string) func(*call) {
	return func(c *call) {
		d := c.data()
		q := c.r.URL.Query()
		d.UserID, d.Secret = q.Get("userId"), q.Get("secret")
		if d.UserID == "" || d.Secret == "" {
			d.Notice = "badlink"
		}
		c.show(http.StatusOK, page, d)
	}
}

// linkFail shows a link page again with its error, keeping the link.
func (c *call) linkFail(page string, res *result, visible ...string) {
	d := c.data()
	d.UserID, d.Secret = c.r.PostForm.Get("userId"), c.r.PostForm.Get("secret")
	c.failWith(d, page, page, res, visible...)
}

func (c *call) reset() {
	res := c.callAPI(http.MethodPut, "/recovery", c.form("userId", "secret", "password", "passwordAgain"))
	if res.err != nil {
		c.linkFail("reset", res, "password", "passwordAgain")
		return
	}
	d := c.data()
	d.Notice = "reset"
	c.show(http.StatusOK, "done", d)
}

func (c *call) verify() {
	res := c.callAPI(http.MethodPut, "/verification", c.form("userId", "secret"))
	if res.err != nil {
		c.linkFail("verify", res)
		return
	}
	d := c.data()
	d.Notice = "verified"
	c.show(http.StatusOK, "done", d)
}

func (c *call) magicURL() {
	res := c.callAPI(http.MethodPut, "/sessions/magic-url", c.form("userId", "secret"))
	if res.err != nil && res.err.Type != "user_session_already_exists" {
		c.linkFail("magic-url", res)
		return
	}
	c.redirect(c.ret())
}

// factors are the second factors an account can use (GET /mfa/factors).
type factors struct {
	TOTP         bool `json:"totp"`
	Phone        bool `json:"phone"`
	Email        bool `json:"email"`
	RecoveryCode bool `json:"recoveryCode"`
}

// mfaData is the second-factor page's data: the account's factors, or
// nil after sending the browser elsewhere (no session at all).
func (c *call) mfaData() *data {
	d := c.data()
	res := c.callAPI(http.MethodGet, "/mfa/factors", nil)
	if res.err != nil && res.err.Type == "general_unauthorized_scope" {
		c.redirect(c.p.SignInURL(c.ret()))
		return nil
	}
	d.Factors = &factors{TOTP: true, RecoveryCode: true}
	if res.err == nil {
		res.decode(d.Factors)
	}
	return d
}

func (c *call) mfaPage() {
	if d := c.mfaData(); d != nil {
		c.show(http.StatusOK, "mfa", d)
	}
}

// mfaSend opens an email or phone challenge, which sends a code, and
// shows the page again with a field for it.
func (c *call) mfaSend() {
	factor := c.r.PostForm.Get("factor")
	if factor != "email" && factor != "phone" {
		factor = "email"
	}
	res := c.callAPI(http.MethodPost, "/mfa/challenge", url.Values{"factor": {factor}})
	d := c.mfaData()
	if d == nil {
		return
	}
	if res.err != nil {
		e := *res.err
		e.Field = ""
		d.Error, d.Form = &e, factor
		c.show(res.status, "mfa", d)
		return
	}
	var ch struct {
		ID string `json:"$id"`
	}
	res.decode(&ch)
	d.ChallengeID, d.Form = ch.ID, factor
	c.show(http.StatusOK, "mfa", d)
}

// mfa completes a second factor: with a challengeId (email, phone) it
// answers that challenge; with a TOTP or recovery code it opens a
// challenge for the factor and answers it in the same post.
func (c *call) mfa() {
	factor := c.r.PostForm.Get("factor")
	challenge := c.r.PostForm.Get("challengeId")
	var res *result
	switch {
	case challenge != "" && (factor == "email" || factor == "phone"):
		res = c.callAPI(http.MethodPut, "/mfa/challenge", url.Values{"challengeId": {challenge}, "otp": {c.r.PostForm.Get("otp")}})
	default:
		if factor != "recoverycode" {
			factor = "totp"
		}
		res = c.callAPI(http.MethodPost, "/mfa/challenge", url.Values{"factor": {factor}})
		if res.err == nil {
			var ch struct {
				ID string `json:"$id"`
			}
			res.decode(&ch)
			res = c.callAPI(http.MethodPut, "/mfa/challenge", url.Values{"challengeId": {ch.ID}, "otp": {c.r.PostForm.Get("otp")}})
		}
	}
	if res.err != nil {
		d := c.mfaData()
		if d == nil {
			return
		}
		if factor == "email" || factor == "phone" {
			d.ChallengeID = challenge
		}
		if res.err.Type == "user_invalid_token" {
			res.err.Field = "otp"
		}
		c.failWith(d, "mfa", factor, res, "otp")
		return
	}
	c.redirect(c.ret())
}

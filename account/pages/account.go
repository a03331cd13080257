package pages

import (
	"net/http"
	"net/url"
	"strings"
)

// accountInfo is what the account page shows of the account.
type accountInfo struct {
	ID                string `json:"$id"`
	Name              string `json:"name"`
	Email             string `json:"email"`
	Phone             string `json:"phone"`
	EmailVerification bool   `json:"emailVerification"`
	PhoneVerification bool   `json:"phoneVerification"`
	Registration      string `json:"registration"`
}

// sessionInfo is a row of the session list.
type sessionInfo struct {
	ID          string `json:"$id"`
	CreatedAt   string `json:"$createdAt"`
	Provider    string `json:"provider"`
	IP          string `json:"ip"`
	ClientName  string `json:"clientName"`
	OSName      string `json:"osName"`
	DeviceName  string `json:"deviceName"`
	CountryName string `json:"countryName"`
	Current     bool   `json:"current"`
}

// logInfo is a row of the security log.
type logInfo struct {
	Event       string `json:"event"`
	Time        string `json:"time"`
	IP          string `json:"ip"`
	ClientName  string `json:"clientName"`
	OSName      string `json:"osName"`
	CountryName string `json:"countryName"`
}

// accountPage shows the signed-in account; without a session it sends
// the browser to sign in (or to its second factor) and back.
func (c *call) accountPage() {
	d := c.data()
	d.Notice = c.r.URL.Query().Get("done")
	c.showAccount(http.StatusOK, d)
}

// showAccount reads the account, its sessions and its log through the
// API and shows them, with d's notice or error.
func (c *call) showAccount(status int, d *data) {
	res := c.callAPI(http.MethodGet, "", nil)
	if res.err != nil {
		c.notSignedIn(res)
		return
	}
	d.Account = &accountInfo{}
	res.decode(d.Account)
	var sessions struct {
		Sessions []sessionInfo `json:"sessions"`
	}
	if res := c.callAPI(http.MethodGet, "/sessions", nil); res.err == nil {
		res.decode(&sessions)
	}
	d.Sessions = sessions.Sessions
	var logs struct {
		Logs []logInfo `json:"logs"`
	}
	if res := c.callAPI(http.MethodGet, "/logs", nil); res.err == nil {
		res.decode(&logs)
	}
	d.Logs = logs.Logs
	c.show(status, "account", d)
}

// sessionMissing reports an error that signing in (or the second
// factor) lifts.
func sessionMissing(e *apiError) bool {
	return e.Type == "general_unauthorized_scope" || e.Type == "user_more_factors_required"
}

// notSignedIn answers an account request the API refused: to sign-in or
// to the second factor for 401s, else the error in words.
func (c *call) notSignedIn(res *result) {
	back := c.page("account")
	switch {
	case res.err.Type == "user_more_factors_required":
		c.redirect(c.p.MFAURL(back))
	case res.status == http.StatusUnauthorized && res.err.Type != "user_blocked":
		c.redirect(c.p.SignInURL(back))
	default:
		d := c.data()
		d.Error, d.Form = res.err, "account"
		c.show(res.status, "refused", d)
	}
}

// accountAction runs one change of the account page: on success back to
// the page with a notice, else the page again with the error.
func (c *call) accountAction(method, route string, form url.Values, notice, formName string, visible ...string) {
	res := c.callAPI(method, route, form)
	if res.err != nil {
		if sessionMissing(res.err) {
			c.notSignedIn(res)
			return
		}
		e := *res.err
		d := c.data()
		c.errorInto(d, formName, &e, visible...)
		c.showAccount(res.status, d)
		return
	}
	c.redirect(c.page("account") + "?done=" + notice)
}

// errorInto puts e into d for formName, next to a visible field if it
// names one.
func (c *call) errorInto(d *data, formName string, e *apiError, visible ...string) {
	// On the password form, invalid credentials mean the current one.
	if formName == "password" && e.Type == "user_invalid_credentials" {
		e.Field = "oldPassword"
	}
	found := false
	for _, v := range visible {
		found = found || v == e.Field
	}
	if !found {
		e.Field = ""
	}
	d.Error, d.Form = e, formName
	d.Values = url.Values{"name": {c.r.PostForm.Get("name")}}
}

func (c *call) updateName() {
	c.accountAction(http.MethodPatch, "/name", c.form("name"), "name", "name", "name")
}

func (c *call) updatePassword() {
	c.accountAction(http.MethodPatch, "/password", c.form("oldPassword", "password"), "password", "password", "oldPassword", "password")
}

func (c *call) sendVerification() {
	c.accountAction(http.MethodPost, "/verification", url.Values{"url": {c.link("verify", nil)}}, "verification", "verification")
}

func (c *call) signOutSession() {
	id := c.r.PostForm.Get("sessionId")
	// The id becomes a path segment: nothing but an id's characters.
	if id == "" || len(id) > 64 || strings.ContainsFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_')
	}) {
		id = "invalid"
	}
	c.accountAction(http.MethodDelete, "/sessions/"+id, nil, "session", "sessions")
}

func (c *call) signOutEverywhere() { c.endSessions("/sessions") }

func (c *call) signOut() { c.endSessions("/sessions/current") }

// endSessions deletes the API's sessions at route and sends the browser
// to sign-in; an already missing session counts as signed out.
func (c *call) endSessions(route string) {
	res := c.callAPI(http.MethodDelete, route, nil)
	if res.err != nil && !sessionMissing(res.err) {
		d := c.data()
		c.errorInto(d, "sessions", res.err)
		c.showAccount(res.status, d)
		return
	}
	c.redirect(c.page("signin") + "?signedout=1")
}

package caddymodule

import (
	"fmt"
	"slices"
	"strings"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/verify"
)

// Policy narrows who may pass a gate, beyond holding a valid session.
// Anything finer is left to Caddy's own matchers on the
// {http.auth.user.*} placeholders, after the gate.
type Policy struct {
	// DenyAnonymous refuses anonymous accounts (no email, no phone).
	DenyAnonymous bool `json:"deny_anonymous,omitempty"`
	// AllowEmailDomains, when set, lets through only accounts whose
	// verified email is at one of these domains (exact, any letter case).
	AllowEmailDomains []string `json:"allow_email_domains,omitempty"`
	// AllowUsers, when set, lets through only these accounts, by user id
	// or by verified email.
	AllowUsers []string `json:"allow_users,omitempty"`
	// AllowLabels, when set, lets through only accounts that carry one
	// of these labels (exact, letter case included, as Appwrite's label
	// roles). A label change reaches every gate at once.
	AllowLabels []string `json:"allow_labels,omitempty"`
}

// Messages of the policy refusals: they speak of the caller's own
// account only, never of who else may pass.
const (
	msgAnonymous   = "This site does not accept anonymous accounts. Sign in with an email address, a phone number or a provider."
	msgVerifyEmail = "This site needs a verified email address. Verify the email address of your account, then try again."
	msgDomain      = "This site is not open to accounts with this email address."
	msgNotAllowed  = "This account is not allowed on this site."
)

// check refuses p with 403 general_resource_blocked when the policy
// excludes it.
func (pol Policy) check(p *verify.Principal) *core.Error {
	u := p.User
	if pol.DenyAnonymous && u.Email == "" && u.Phone == "" {
		return core.Errorf(core.ErrGeneralResourceBlocked, msgAnonymous)
	}
	if len(pol.AllowEmailDomains) > 0 {
		// An address proves nothing until its owner opened a mail sent
		// to it: anyone can sign up as someone@example.com.
		if u.Email == "" || !u.EmailVerification {
			return core.Errorf(core.ErrGeneralResourceBlocked, msgVerifyEmail)
		}
		if !pol.domainAllowed(u.Email) {
			return core.Errorf(core.ErrGeneralResourceBlocked, msgDomain)
		}
	}
	if len(pol.AllowUsers) > 0 && !pol.userAllowed(u) {
		return core.Errorf(core.ErrGeneralResourceBlocked, msgNotAllowed)
	}
	if len(pol.AllowLabels) > 0 && !pol.labelAllowed(u) {
		return core.Errorf(core.ErrGeneralResourceBlocked, msgNotAllowed)
	}
	return nil
}

func (pol Policy) labelAllowed(u *core.User) bool {
	for _, l := range u.Labels {
		if slices.Contains(pol.AllowLabels, l) {
			return true
		}
	}
	return false
}

func (pol Policy) domainAllowed(email string) bool {
	at := strings.LastIndexByte(email, '@')
	domain := email[at+1:]
	for _, d := range pol.AllowEmailDomains {
		if strings.EqualFold(d, domain) {
			return true
		}
	}
	return false
}

func (pol Policy) userAllowed(u *core.User) bool {
	for _, who := range pol.AllowUsers {
		if who == u.ID || (u.EmailVerification && u.Email != "" && strings.EqualFold(who, u.Email)) {
			return true
		}
	}
	return false
}

// validate reports entries that can never match.
func (pol Policy) validate() error {
	for _, d := range pol.AllowEmailDomains {
		if d == "" || strings.ContainsAny(d, "@/: ") {
			return fmt.Errorf("account_gate: allow_email_domains %q: a domain only, e.g. example.com", d)
		}
	}
	for _, who := range pol.AllowUsers {
		if who == "" {
			return fmt.Errorf("account_gate: allow_users: an empty entry")
		}
	}
	// A label no user can carry would silently shut everyone out.
	if _, err := core.CheckLabels(pol.AllowLabels); err != nil {
		return fmt.Errorf("account_gate: allow_labels %q: labels are 1 to 36 letters and digits", pol.AllowLabels)
	}
	return nil
}

package accountapi

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
)

// Token lifetimes (part A items 2, 3).
const (
	magicURLLifetime          = time.Hour
	phoneSessionLifetime      = 15 * time.Minute
	recoveryLifetime          = time.Hour
	verificationLifetime      = 7 * 24 * time.Hour
	phoneVerificationLifetime = 15 * time.Minute
)

// RedirectURL checks a url parameter (Host validator, facts §1.3, with
// http(s) required): it must name a platform host.
func (s *Handlers) RedirectURL(name, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || !s.AllowedHost(u.Hostname()) {
		return nil, core.InvalidParam(name, "URL host must be one of: "+strings.Join(s.AllowedHosts(), ", "))
	}
	return u, nil
}

// AllowedHosts lists the hosts redirect URLs may name.
func (s *Handlers) AllowedHosts() []string {
	hosts := []string{s.PublicURL.Hostname()}
	for _, p := range s.Project.Platforms {
		if p != hosts[0] {
			hosts = append(hosts, p)
		}
	}
	return hosts
}

// ReadSecret reads the secret parameter of the confirmation routes.
func readSecret(r *httpapi.Request) (string, error) {
	secret, err := r.Params.Required("secret", core.DescText(256))
	if err != nil {
		return "", err
	}
	if !core.ValidText(secret, 256) {
		return "", core.InvalidParam("secret", core.DescText(256))
	}
	return secret, nil
}

// ReadUserID reads the userId parameter with the UID (or CustomId) rules.
func readUserID(r *httpapi.Request, desc string) (string, error) {
	id, err := r.Params.Required("userId", desc)
	if err != nil {
		return "", err
	}
	if !core.ValidKey(id) {
		return "", core.InvalidParam("userId", desc)
	}
	return id, nil
}

// writeToken answers a token-creating route.
func writeToken(w http.ResponseWriter, status int, t *core.Token) error {
	return httpapi.WriteJSON(w, status, httpapi.RenderToken(t))
}

// issueToken runs issue (which stores a token and queues its message) in
// one transaction, wakes the delivery worker, logs event for the user and
// answers 201 with the token, its secret left out.
func (s *Handlers) issueToken(w http.ResponseWriter, r *httpapi.Request, event string, issue func(tx core.Store) (*core.User, *core.Token, error)) error {
	return s.issuePhrasedToken(w, r, event, "", issue)
}

// issuePhrasedToken is issueToken with the security phrase (if any) in
// the answer.
func (s *Handlers) issuePhrasedToken(w http.ResponseWriter, r *httpapi.Request, event, phrase string, issue func(tx core.Store) (*core.User, *core.Token, error)) error {
	var user *core.User
	var tok *core.Token
	err := s.Store.WithTx(r.Context(), func(tx core.Store) (err error) {
		user, tok, err = issue(tx)
		return err
	})
	if err != nil {
		return err
	}
	s.Outbox.Wake()
	s.Audit(r, user, event)
	m := httpapi.RenderToken(tok)
	m.Phrase = phrase
	return httpapi.WriteJSON(w, http.StatusCreated, m)
}

// readConfirmation reads userId and secret of a confirmation route and
// loads the user (404 user_not_found).
func (s *Handlers) readConfirmation(r *httpapi.Request, idDesc string) (*core.User, string, error) {
	userID, err := readUserID(r, idDesc)
	if err != nil {
		return nil, "", err
	}
	secret, err := readSecret(r)
	if err != nil {
		return nil, "", err
	}
	user, err := s.UserForToken(r.Context(), userID)
	return user, secret, err
}

// confirmToken spends the user's token of typ and records what it proved,
// in one transaction, logs verification.update and answers 200 with the
// token.
func (s *Handlers) confirmToken(w http.ResponseWriter, r *httpapi.Request, user *core.User, typ core.TokenType, secret string, proved func(*core.User)) error {
	var tok *core.Token
	user, err := s.ChangeNamedUser(r.Context(), user.ID, func(tx core.Store, u *core.User) (err error) {
		if tok, err = s.SpendToken(r.Context(), tx, u, typ, secret); err != nil {
			return err
		}
		proved(u)
		return nil
	})
	if err != nil {
		return err
	}
	s.Audit(r, user, "verification.update")
	return writeToken(w, http.StatusOK, tok)
}

package account

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/accountgate/accountgate/account/httpapi"

	"github.com/accountgate/accountgate/account/core"

	"github.com/accountgate/accountgate/account/mail"
)

// Token lifetimes (part A items 2, 3).
const (
	magicURLLifetime          = time.Hour
	phoneSessionLifetime      = 15 * time.Minute
	recoveryLifetime          = time.Hour
	verificationLifetime      = 7 * 24 * time.Hour
	phoneVerificationLifetime = 15 * time.Minute
)

// newToken builds a token of typ for user, sent to target (the email
// address or phone number), with secret.
func (s *Service) newToken(r *httpapi.Request, userID, target string, typ core.TokenType, lifetime time.Duration, secret string) *core.Token {
	now := s.clock()
	return &core.Token{
		ID:         core.NewID(now),
		UserID:     userID,
		Type:       typ,
		SecretHash: core.TokenHash(userID, typ, secret),
		Target:     core.TargetHash(target),
		CreatedAt:  now,
		Expire:     now.Add(lifetime),
		IP:         r.IP,
		UserAgent:  core.Truncate(r.UserAgent(), 1024),
	}
}

// redirectURL checks a url parameter (Host validator, facts §1.3, with
// http(s) required): it must name a platform host.
func (s *Service) RedirectURL(name, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || !s.AllowedHost(u.Hostname()) {
		return nil, core.InvalidParam(name, "URL host must be one of: "+strings.Join(s.AllowedHosts(), ", "))
	}
	return u, nil
}

// allowedHosts lists the hosts redirect URLs may name.
func (s *Service) AllowedHosts() []string {
	hosts := []string{s.publicURL.Hostname()}
	for _, p := range s.cfg.Platforms {
		if p != hosts[0] {
			hosts = append(hosts, p)
		}
	}
	return hosts
}

// TokenLink adds the token's query parameters to base, keeping what base
// already has (and its fragment).
func TokenLink(base *url.URL, values map[string]string) string {
	u := *base
	q := u.Query()
	for k, v := range values {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// DBTime is Appwrite's database datetime format, used for `expire` in
// links (facts §7).
func DBTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") }

// ReadSecret reads the secret parameter of the confirmation routes.
func ReadSecret(r *httpapi.Request) (string, error) {
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
func ReadUserID(r *httpapi.Request, desc string) (string, error) {
	id, err := r.Params.Required("userId", desc)
	if err != nil {
		return "", err
	}
	if !core.ValidKey(id) {
		return "", core.InvalidParam("userId", desc)
	}
	return id, nil
}

// userForToken loads the user a confirmation names: 404 user_not_found.
func (s *Service) userForToken(ctx context.Context, id string) (*core.User, error) {
	u, err := s.store.UserByID(ctx, id)
	if errors.Is(err, core.ErrNotFound) {
		return nil, core.NewError(core.ErrUserNotFound)
	}
	return u, err
}

// WriteToken answers a token-creating Route.
func WriteToken(w http.ResponseWriter, status int, t *core.Token) error {
	return httpapi.WriteJSON(w, status, httpapi.RenderToken(t))
}

// mailToken stores a token of typ for user and queues the mail carrying
// its link, through tx, so that both commit or neither does. It returns
// the token; its secret only ever leaves in the mail.
func (s *Service) mailToken(ctx context.Context, tx core.Store, r *httpapi.Request, user *core.User, typ core.TokenType, lifetime time.Duration,
	kind mail.Kind, base *url.URL, toName string) (*core.Token, error) {
	secret := core.NewSecret()
	tok := s.newToken(r, user.ID, user.Email, typ, lifetime, secret)
	if err := tx.CreateToken(ctx, tok); err != nil {
		return nil, err
	}
	query := map[string]string{"userId": user.ID, "secret": secret, "expire": DBTime(tok.Expire)}
	return tok, s.enqueueMail(ctx, tx, kind, user.Email, toName, TokenLink(base, query), tok)
}

// textCode stores a six-digit code of typ for the user and queues the SMS
// carrying it to phone, through tx.
func (s *Service) textCode(ctx context.Context, tx core.Store, r *httpapi.Request, userID, phone string, typ core.TokenType, lifetime time.Duration) (*core.Token, error) {
	code := core.NewCode()
	tok := s.newToken(r, userID, phone, typ, lifetime, code)
	if err := tx.CreateToken(ctx, tok); err != nil {
		return nil, err
	}
	return tok, s.enqueueSMS(ctx, tx, phone, code, tok)
}

// issueToken runs issue (which stores a token and queues its message) in
// one transaction, wakes the delivery worker, logs event for the user and
// answers 201 with the token, its secret left out.
func (s *Service) issueToken(w http.ResponseWriter, r *httpapi.Request, event string, issue func(tx core.Store) (*core.User, *core.Token, error)) error {
	var user *core.User
	var tok *core.Token
	err := s.store.WithTx(r.Context(), func(tx core.Store) (err error) {
		user, tok, err = issue(tx)
		return err
	})
	if err != nil {
		return err
	}
	s.outbox.Wake()
	s.audit(r, user, event)
	return WriteToken(w, http.StatusCreated, tok)
}

// readConfirmation reads userId and secret of a confirmation Route and
// loads the user (404 user_not_found).
func (s *Service) readConfirmation(r *httpapi.Request, idDesc string) (*core.User, string, error) {
	userID, err := ReadUserID(r, idDesc)
	if err != nil {
		return nil, "", err
	}
	secret, err := ReadSecret(r)
	if err != nil {
		return nil, "", err
	}
	user, err := s.userForToken(r.Context(), userID)
	return user, secret, err
}

// confirmToken spends the user's token of typ and records what it proved,
// in one transaction, logs verification.update and answers 200 with the
// token.
func (s *Service) confirmToken(w http.ResponseWriter, r *httpapi.Request, user *core.User, typ core.TokenType, secret string, proved func(*core.User)) error {
	var tok *core.Token
	user, err := s.changeNamedUser(r.Context(), user.ID, func(tx core.Store, u *core.User) (err error) {
		if tok, err = s.spendToken(r.Context(), tx, u, typ, secret); err != nil {
			return err
		}
		proved(u)
		return nil
	})
	if err != nil {
		return err
	}
	s.audit(r, user, "verification.update")
	return WriteToken(w, http.StatusOK, tok)
}

package passwordless

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/domain"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/mail"
)

// Token sign-in (today's SDKs): POST /tokens/magic-url, /tokens/email and
// /tokens/phone send a secret; POST /sessions/token spends a secret of any
// of those kinds, or of the OAuth2 token flow, once.

// readPhrase reads the optional `phrase` boolean: a fresh security phrase
// when true, "" when false or absent.
func readPhrase(r *httpapi.Request) (string, error) {
	const desc = "Value must be a valid boolean"
	if !r.Params.Has("phrase") {
		return "", nil
	}
	var on bool
	if r.Params.IsJSON() {
		if err := json.Unmarshal(r.Params.Raw("phrase"), &on); err != nil {
			return "", core.InvalidParam("phrase", desc)
		}
	} else {
		switch strings.ToLower(r.Params.Form("phrase")) {
		case "true", "1":
			on = true
		case "false", "0", "":
		default:
			return "", core.InvalidParam("phrase", desc)
		}
	}
	if !on {
		return "", nil
	}
	return core.NewPhrase(), nil
}

// readSignInEmail reads the userId and email of an email sign-in route,
// which needs a mailer.
func (s *SignIn) readSignInEmail(r *httpapi.Request) (userID, email string, err error) {
	if s.Project.Mailer == nil {
		return "", "", core.Errorf(core.ErrGeneralSMTPDisabled, "SMTP disabled")
	}
	if userID, err = r.Params.CustomID(); err != nil {
		return "", "", err
	}
	if email, err = r.Params.Required("email", core.DescEmail); err != nil {
		return "", "", err
	}
	if email = core.NormalizeEmail(email); !core.ValidEmail(email) {
		return "", "", core.InvalidParam("email", core.DescEmail)
	}
	return userID, email, nil
}

// createMagicURLToken is POST /v1/account/tokens/magic-url: the 1.3
// magic-URL mail, with the optional security phrase, for POST
// /sessions/token (or PUT /sessions/magic-url) to spend.
func (s *SignIn) createMagicURLToken(w http.ResponseWriter, r *httpapi.Request) error {
	return s.sendMagicURL(w, r, true)
}

// sendMagicURL mails a magic link, creating the account first if the
// email is new; withPhrase reads the phrase parameter.
func (s *SignIn) sendMagicURL(w http.ResponseWriter, r *httpapi.Request, withPhrase bool) error {
	userID, email, err := s.readSignInEmail(r)
	if err != nil {
		return err
	}
	base := s.PublicURL.JoinPath(httpapi.MagicURLPage)
	if raw, ok, err := r.Params.String("url", ""); err != nil || ok {
		if base, err = s.RedirectURL("url", raw); err != nil {
			return err
		}
	}
	phrase := ""
	if withPhrase {
		if phrase, err = readPhrase(r); err != nil {
			return err
		}
	}
	return s.mailSignInToken(w, r, userID, email, phrase, signInMail{
		method: core.MethodMagicURL, typ: core.TokenMagicURL, lifetime: core.MagicURLLifetime, secret: core.NewSecret, kind: mail.KindMagicURL,
		data: func(user *core.User, tok *core.Token, secret string) mail.TemplateData {
			return mail.TemplateData{Link: domain.TokenLink(base, map[string]string{"userId": user.ID, "secret": secret,
				"expire": domain.DBTime(tok.Expire), "project": s.Project.ProjectID})}
		},
	})
}

// createEmailToken is POST /v1/account/tokens/email: a six-digit code by
// mail (the otp template), creating the account first if the email is new.
func (s *SignIn) createEmailToken(w http.ResponseWriter, r *httpapi.Request) error {
	userID, email, err := s.readSignInEmail(r)
	if err != nil {
		return err
	}
	phrase, err := readPhrase(r)
	if err != nil {
		return err
	}
	return s.mailSignInToken(w, r, userID, email, phrase, signInMail{
		method: core.MethodEmailOTP, typ: core.TokenEmailCode, lifetime: core.EmailCodeLifetime, secret: core.NewCode, kind: mail.KindOTP,
		data: func(_ *core.User, _ *core.Token, code string) mail.TemplateData { return mail.TemplateData{Code: code} },
	})
}

// signInMail is what an email sign-in route sends.
type signInMail struct {
	method   core.AuthMethodName
	typ      core.TokenType
	lifetime time.Duration
	secret   func() string
	kind     mail.Kind
	// data is the mail's template data for the token and its secret.
	data func(user *core.User, tok *core.Token, secret string) mail.TemplateData
}

// mailSignInToken stores a sign-in token of m for email, creating the
// account first if the email is new, and mails its secret.
func (s *SignIn) mailSignInToken(w http.ResponseWriter, r *httpapi.Request, userID, email, phrase string, m signInMail) error {
	ctx := r.Context()
	var created *core.User // the new account, if the email was new
	err := s.issueSignInToken(w, r, phrase, func(tx core.Store) (*core.User, *core.Token, error) {
		user, err := s.findOrCreateUser(ctx, tx, userID, func(u *core.User) { u.Email, created = email, u }, tx.UserByEmail, email)
		if err != nil {
			return nil, nil, err
		}
		secret := m.secret()
		tok := s.NewToken(r, user.ID, user.Email, m.typ, m.lifetime, secret)
		if err := tx.CreateToken(ctx, tok); err != nil {
			return nil, nil, err
		}
		d := m.data(user, tok, secret)
		d.Phrase = phrase
		return user, tok, s.EnqueueMailData(ctx, tx, m.kind, user.Email, d, tok)
	})
	s.ObserveCreated(r, created, m.method, "", err)
	return err
}

// issueSignInToken is issueToken for the token sign-in routes: the
// answer carries the security phrase, if any.
func (s *SignIn) issueSignInToken(w http.ResponseWriter, r *httpapi.Request, phrase string, issue func(tx core.Store) (*core.User, *core.Token, error)) error {
	return s.IssuePhrasedToken(w, r, "session.create", phrase, issue)
}

// signInKinds are the tokens of u with secret that POST /sessions/token
// accepts: each kind whose sign-in method is on, sent to an address u
// still has (or, for OAuth2, made for an identity u still has linked).
func (s *SignIn) signInKinds(ctx context.Context, tx core.Store, u *core.User, secret string) ([]core.TokenKind, error) {
	var kinds []core.TokenKind
	add := func(m core.AuthMethodName, typ core.TokenType, target string) {
		if target != "" && !s.Project.Disabled[m] {
			kinds = append(kinds, core.TokenKind{Type: typ, Target: core.TargetHash(target), Hash: core.TokenHash(u.ID, typ, secret)})
		}
	}
	add(core.MethodMagicURL, core.TokenMagicURL, u.Email)
	add(core.MethodEmailOTP, core.TokenEmailCode, u.Email)
	add(core.MethodPhone, core.TokenPhoneSession, u.Phone)
	// A server's token belongs to no sign-in method: the key that made
	// it holds users.write.
	kinds = append(kinds, core.TokenKind{Type: core.TokenGeneric, Target: core.GenericTokenTarget(u.ID), Hash: core.TokenHash(u.ID, core.TokenGeneric, secret)})
	if s.Project.Disabled[core.MethodOAuth2] {
		return kinds, nil
	}
	idents, err := tx.UserIdentities(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	oauthHash := core.TokenHash(u.ID, core.TokenOAuth2, secret)
	for _, id := range idents {
		kinds = append(kinds, core.TokenKind{Type: core.TokenOAuth2, Target: core.OAuth2TokenTarget(id.ID), Hash: oauthHash})
	}
	return kinds, nil
}

// createTokenSession is POST /v1/account/sessions/token: a secret of any
// sign-in kind, spent once, becomes a session. Spending the token,
// recording what it proved and creating the session are one transaction
// under the user's lock: a blocked user or a failed write leaves the
// token unspent.
func (s *SignIn) createTokenSession(w http.ResponseWriter, r *httpapi.Request) error {
	userID, err := httpapi.ReadUserID(r, core.DescCustomID)
	if err != nil {
		return err
	}
	secret, err := httpapi.ReadSecret(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var ns domain.NewSession
	user, err := s.ChangeUser(ctx, userID, "", func(tx core.Store, u *core.User) error {
		kinds, err := s.signInKinds(ctx, tx, u, secret)
		if err != nil {
			return err
		}
		tok, err := tx.ConsumeAnyToken(ctx, u.ID, kinds, s.Clock())
		if errors.Is(err, core.ErrNotFound) {
			return core.NewError(core.ErrUserInvalidToken)
		}
		if err != nil {
			return err
		}
		if !u.Status {
			return core.NewError(core.ErrUserBlocked)
		}
		in, err := s.tokenSessionInput(ctx, tx, u, tok)
		if err != nil {
			return err
		}
		in.R = r.Request
		ns, err = s.CreateSessionIn(ctx, tx, in)
		return err
	})
	if errors.Is(err, core.ErrNotFound) {
		// As Appwrite: an unknown user is an invalid token, so the route
		// tells nothing about which ids exist.
		return core.NewError(core.ErrUserInvalidToken)
	}
	if err != nil {
		return err
	}
	s.RevokePruned(ctx, ns)
	s.Audit(r, user, "session.create")
	s.SetSessionCookies(w, r.Request, user.ID, ns.Secret, ns.Sess)
	return httpapi.WriteJSON(w, http.StatusCreated, s.NewSessionModel(r, ns.Sess, ns.Secret))
}

// tokenSessionInput records on u what tok proved, as the 1.3 flows do
// (a mailbox, a phone; a provider vouches for neither), and names the
// session's provider after the kind, as Appwrite does.
func (s *SignIn) tokenSessionInput(ctx context.Context, tx core.Store, u *core.User, tok *core.Token) (domain.NewSessionInput, error) {
	in := domain.NewSessionInput{User: u}
	switch tok.Type {
	case core.TokenMagicURL:
		in.Provider, u.EmailVerification = "magic-url", true
	case core.TokenEmailCode:
		in.Provider, u.EmailVerification = "token", true
	case core.TokenPhoneSession:
		in.Provider, u.PhoneVerification = "phone", true
	case core.TokenGeneric:
		// A server vouched for the user: the session proves no address.
		in.Provider = core.ProviderServer
	case core.TokenOAuth2:
		idents, err := tx.UserIdentities(ctx, u.ID)
		if err != nil {
			return in, err
		}
		for _, id := range idents {
			if string(core.OAuth2TokenTarget(id.ID)) == string(tok.Target) {
				in.Provider, in.ProviderUID = id.Provider, id.ProviderUID
				return in, nil
			}
		}
		return in, core.NewError(core.ErrUserInvalidToken)
	default:
		return in, core.NewError(core.ErrUserInvalidToken)
	}
	return in, nil
}

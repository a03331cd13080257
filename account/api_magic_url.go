package account

import (
	"context"
	"errors"
	"net/http"

	"github.com/accountgate/accountgate/account/httpapi"

	"github.com/accountgate/accountgate/account/core"

	"github.com/accountgate/accountgate/account/mail"
	"github.com/accountgate/accountgate/account/outbox"
)

// createMagicURLSession is POST /v1/account/sessions/magic-url: it mails a
// sign-in link, creating the account first if the email is new. It is
// POST /tokens/magic-url without the security phrase (format 1.3 has none).
func (s *Service) createMagicURLSession(w http.ResponseWriter, r *httpapi.Request) error {
	return s.sendMagicURL(w, r, false)
}

// findOrCreateUser returns the user that lookup(key) finds, or creates one
// with the given id (generated for unique()) shaped by fill.
func (s *Service) findOrCreateUser(ctx context.Context, tx core.Store, id string, fill func(*core.User), lookup func(context.Context, string) (*core.User, error), key string) (*core.User, error) {
	u, err := lookup(ctx, key)
	if err == nil {
		return u, nil
	}
	if !errors.Is(err, core.ErrNotFound) {
		return nil, err
	}
	now := s.clock()
	if id == "" {
		id = core.NewID(now)
	}
	u = &core.User{ID: id, CreatedAt: now, UpdatedAt: now, Registration: now, Status: true}
	fill(u)
	if err := tx.CreateUser(ctx, u); err != nil {
		if errors.Is(err, core.ErrConflict) {
			return nil, core.NewError(core.ErrUserAlreadyExists)
		}
		return nil, err
	}
	return u, nil
}

// readCustomID reads userId on the routes that may create a user:
// "unique()" (or "") means a generated id, returned as "".
func readCustomID(r *httpapi.Request) (string, error) {
	id, err := r.Params.Required("userId", core.DescCustomID)
	if err != nil {
		return "", err
	}
	if id == "unique()" || id == "" {
		return "", nil
	}
	if !core.ValidKey(id) {
		return "", core.InvalidParam("userId", core.DescCustomID)
	}
	return id, nil
}

// enqueueMail renders a mail of kind and puts it in the outbox through tx.
func (s *Service) enqueueMail(ctx context.Context, tx core.Store, kind mail.Kind, to, toName, link string, tok *core.Token) error {
	subject, text, html, err := s.cfg.MailTemplates.Render(kind, mail.TemplateData{
		Project: s.cfg.ProjectName, Name: toName, Link: link, Expire: mail.FormatDuration(tok.Expire.Sub(tok.CreatedAt)),
	})
	if err != nil {
		return err
	}
	return s.outbox.Enqueue(ctx, tx, outbox.ChannelEmail, outbox.Payload{
		Mail:    &mail.Message{To: to, ToName: toName, Subject: subject, Text: text, HTML: html},
		Expires: tok.Expire,
	})
}

// updateMagicURLSession is PUT /v1/account/sessions/magic-url: the link's
// secret signs the user in and proves the email.
func (s *Service) updateMagicURLSession(w http.ResponseWriter, r *httpapi.Request) error {
	return s.completeTokenSession(w, r, core.TokenMagicURL, "magic-url", func(u *core.User) { u.EmailVerification = true }, "session.update")
}

// completeTokenSession spends a sign-in token (magic URL or phone code),
// marks what it proved on the user and creates the session, all in one
// transaction: a blocked user or a failed write leaves the token unspent.
func (s *Service) completeTokenSession(w http.ResponseWriter, r *httpapi.Request, typ core.TokenType, provider string, proved func(*core.User), event string) error {
	user, secret, err := s.readConfirmation(r, core.DescCustomID)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var ns newSession
	user, err = s.changeNamedUser(ctx, user.ID, func(tx core.Store, u *core.User) (err error) {
		if _, err := s.spendToken(ctx, tx, u, typ, secret); err != nil {
			return err
		}
		if !u.Status {
			return core.NewError(core.ErrUserBlocked)
		}
		proved(u)
		ns, err = s.createSessionIn(ctx, tx, newSessionInput{user: u, provider: provider, r: r.Request})
		return err
	})
	if err != nil {
		return err
	}
	s.revokePruned(ctx, ns)
	if event != "" {
		s.audit(r, user, event)
	}
	s.SetSessionCookies(w, r.Request, user.ID, ns.secret, ns.sess)
	return httpapi.WriteJSON(w, http.StatusOK, s.newSessionModel(r, ns.sess, ns.secret))
}

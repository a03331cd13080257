package domain

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/mail"
	"github.com/accountgate/accountgate/account/outbox"
)

// NewToken builds a token of typ for user, sent to target (the email
// address or phone number), with secret.
func (a *Accounts) NewToken(r *httpapi.Request, userID, target string, typ core.TokenType, lifetime time.Duration, secret string) *core.Token {
	now := a.Clock()
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

// UserForToken loads the user a confirmation names: 404 user_not_found.
func (a *Accounts) UserForToken(ctx context.Context, id string) (*core.User, error) {
	u, err := a.store.UserByID(ctx, id)
	if errors.Is(err, core.ErrNotFound) {
		return nil, core.NewError(core.ErrUserNotFound)
	}
	return u, err
}

// MailToken stores a token of typ for user and queues the mail carrying
// its link, through tx, so that both commit or neither does. It returns
// the token; its secret only ever leaves in the mail.
func (a *Accounts) MailToken(ctx context.Context, tx core.Store, r *httpapi.Request, user *core.User, typ core.TokenType, lifetime time.Duration,
	kind mail.Kind, base *url.URL, toName string) (*core.Token, error) {
	secret := core.NewSecret()
	tok := a.NewToken(r, user.ID, user.Email, typ, lifetime, secret)
	if err := tx.CreateToken(ctx, tok); err != nil {
		return nil, err
	}
	query := map[string]string{"userId": user.ID, "secret": secret, "expire": DBTime(tok.Expire)}
	return tok, a.EnqueueMail(ctx, tx, kind, user.Email, toName, TokenLink(base, query), tok)
}

// TextCode stores a six-digit code of typ for the user and queues the SMS
// carrying it to phone, through tx.
func (a *Accounts) TextCode(ctx context.Context, tx core.Store, r *httpapi.Request, userID, phone string, typ core.TokenType, lifetime time.Duration) (*core.Token, error) {
	code := core.NewCode()
	tok := a.NewToken(r, userID, phone, typ, lifetime, code)
	if err := tx.CreateToken(ctx, tok); err != nil {
		return nil, err
	}
	return tok, a.EnqueueSMS(ctx, tx, phone, code, tok)
}

// EnqueueMail renders a mail of kind and puts it in the outbox through tx.
func (a *Accounts) EnqueueMail(ctx context.Context, tx core.Store, kind mail.Kind, to, toName, link string, tok *core.Token) error {
	subject, text, html, err := a.cfg.MailTemplates.Render(kind, mail.TemplateData{
		Project: a.cfg.ProjectName, Name: toName, Link: link, Expire: mail.FormatDuration(tok.Expire.Sub(tok.CreatedAt)),
	})
	if err != nil {
		return err
	}
	return a.outbox.Enqueue(ctx, tx, outbox.ChannelEmail, outbox.Payload{
		Mail:    &mail.Message{To: to, ToName: toName, Subject: subject, Text: text, HTML: html},
		Expires: tok.Expire,
	})
}

// EnqueueMailData renders a mail of kind from d (the project and expiry
// filled in) and puts it in the outbox through tx.
func (a *Accounts) EnqueueMailData(ctx context.Context, tx core.Store, kind mail.Kind, to string, d mail.TemplateData, tok *core.Token) error {
	d.Project = a.cfg.ProjectName
	d.Expire = mail.FormatDuration(tok.Expire.Sub(tok.CreatedAt))
	subject, text, html, err := a.cfg.MailTemplates.Render(kind, d)
	if err != nil {
		return err
	}
	return a.outbox.Enqueue(ctx, tx, outbox.ChannelEmail, outbox.Payload{
		Mail:    &mail.Message{To: to, ToName: d.Name, Subject: subject, Text: text, HTML: html},
		Expires: tok.Expire,
	})
}

// EnqueueSMS puts a code for phone in the outbox through tx.
func (a *Accounts) EnqueueSMS(ctx context.Context, tx core.Store, phone, code string, tok *core.Token) error {
	return a.outbox.Enqueue(ctx, tx, outbox.ChannelSMS, outbox.Payload{SMS: &outbox.SMS{To: phone, Body: code}, Expires: tok.Expire})
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

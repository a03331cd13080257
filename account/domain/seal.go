package domain

import (
	"context"
	"encoding/base64"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
)

// SealedTokens are provider tokens as stored: encrypted.
type SealedTokens struct {
	Access, Refresh string
	Expiry          time.Time
}

func (a *Accounts) SealTokens(t *oauth2.Token) SealedTokens {
	if t == nil {
		return SealedTokens{}
	}
	return SealedTokens{Access: a.SealString(t.AccessToken), Refresh: a.SealString(t.RefreshToken), Expiry: t.Expiry.UTC().Truncate(time.Millisecond)}
}

func (a *Accounts) SealString(v string) string {
	if v == "" {
		return ""
	}
	return "sealed:" + base64.StdEncoding.EncodeToString(a.tokenSeal.Seal([]byte(v)))
}

func (a *Accounts) OpenString(v string) string {
	rest, ok := strings.CutPrefix(v, "sealed:")
	if !ok {
		return v
	}
	raw, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return ""
	}
	plain, err := a.tokenSeal.Open(raw)
	if err != nil {
		return ""
	}
	return string(plain)
}

// RenderSession is the session model of s, with its provider tokens
// opened (they are sealed at rest).
func (a *Accounts) RenderSession(sess *core.Session, current bool) httpapi.SessionModel {
	country := sess.CountryCode
	if country == "" {
		country = "--"
	}
	return httpapi.SessionModel{
		ID:                        sess.ID,
		CreatedAt:                 httpapi.FormatTime(sess.CreatedAt),
		UpdatedAt:                 httpapi.FormatTime(httpapi.SessionUpdated(sess)),
		UserID:                    sess.UserID,
		Expire:                    httpapi.FormatTime(sess.Expire),
		Provider:                  sess.Provider,
		ProviderUID:               sess.ProviderUID,
		ProviderAccessToken:       a.OpenString(sess.ProviderAccessToken),
		ProviderAccessTokenExpiry: httpapi.FormatTime(sess.ProviderAccessTokenExpiry),
		ProviderRefreshToken:      a.OpenString(sess.ProviderRefreshToken),
		IP:                        sess.IP,
		DeviceModel:               httpapi.DeviceModel(sess.Device),
		CountryCode:               country,
		CountryName:               httpapi.CountryName(country),
		Current:                   current,
		Factors:                   core.ProviderFactors(sess.Provider),
	}
}

// RefreshProviderTokens stores new provider tokens for an OAuth2 session
// and returns the session as it now is.
func (a *Accounts) RefreshProviderTokens(ctx context.Context, sess *core.Session) (*core.Session, error) {
	p, ok := a.cfg.OAuth2[sess.Provider]
	if !ok {
		return nil, core.Errorf(core.ErrProjectProviderDisabled, "The provider %s of this session is no longer configured.", sess.Provider)
	}
	refresh := a.OpenString(sess.ProviderRefreshToken)
	if refresh == "" {
		return nil, httpapi.ArgumentError("The provider gave this session no refresh token.")
	}
	tok, err := p.Refresh(ctx, refresh)
	if err != nil {
		a.log.Warn("oauth2 refresh failed", "provider", sess.Provider, "error", err)
		return nil, core.Errorf(core.ErrUserOAuthFailed, "%s refused to refresh the session's tokens.", sess.Provider)
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = refresh
	}
	sealed := a.SealTokens(tok)
	updated := *sess
	updated.ProviderAccessToken, updated.ProviderRefreshToken, updated.ProviderAccessTokenExpiry = sealed.Access, sealed.Refresh, sealed.Expiry
	if err := a.store.UpdateSessionTokens(ctx, sess.ID, sealed.Access, sealed.Refresh, sealed.Expiry); err != nil {
		return nil, err
	}
	a.Revoke(ctx, core.Revocation{SessionID: sess.ID, UserID: sess.UserID})
	return &updated, nil
}

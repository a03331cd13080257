package domain

import (
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

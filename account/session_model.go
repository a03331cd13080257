package account

import (
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
)

// renderSession is the session model of s, with its provider tokens
// opened (they are sealed at rest).
func (s *Service) renderSession(sess *core.Session, current bool) httpapi.SessionModel {
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
		ProviderAccessToken:       s.openString(sess.ProviderAccessToken),
		ProviderAccessTokenExpiry: httpapi.FormatTime(sess.ProviderAccessTokenExpiry),
		ProviderRefreshToken:      s.openString(sess.ProviderRefreshToken),
		IP:                        sess.IP,
		DeviceModel:               httpapi.DeviceModel(sess.Device),
		CountryCode:               country,
		CountryName:               httpapi.CountryName(country),
		Current:                   current,
		Factors:                   core.ProviderFactors(sess.Provider),
	}
}

package account

import (
	"encoding/json"
	"time"
)

// datetimeLayout is ISO 8601 with milliseconds and a numeric offset, the
// shape of every datetime sent (part A item 9).
const datetimeLayout = "2006-01-02T15:04:05.000-07:00"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(datetimeLayout)
}

// accountModel is the Appwrite `account` model, fields in model order. It
// never carries the password, hash or hash options (part A item 6).
type accountModel struct {
	ID                string          `json:"$id"`
	CreatedAt         string          `json:"$createdAt"`
	UpdatedAt         string          `json:"$updatedAt"`
	Name              string          `json:"name"`
	Registration      string          `json:"registration"`
	Status            bool            `json:"status"`
	PasswordUpdate    string          `json:"passwordUpdate"`
	Email             string          `json:"email"`
	Phone             string          `json:"phone"`
	EmailVerification bool            `json:"emailVerification"`
	PhoneVerification bool            `json:"phoneVerification"`
	Prefs             json.RawMessage `json:"prefs"`
}

func renderAccount(u *User) accountModel {
	prefs := u.Prefs
	if len(prefs) == 0 {
		prefs = json.RawMessage("{}")
	}
	return accountModel{
		ID:                u.ID,
		CreatedAt:         formatTime(u.CreatedAt),
		UpdatedAt:         formatTime(u.UpdatedAt),
		Name:              u.Name,
		Registration:      formatTime(u.Registration),
		Status:            u.Status,
		PasswordUpdate:    formatTime(u.PasswordUpdate),
		Email:             u.Email,
		Phone:             u.Phone,
		EmailVerification: u.EmailVerification,
		PhoneVerification: u.PhoneVerification,
		Prefs:             prefs,
	}
}

// sessionModel is the Appwrite `session` model, fields in model order.
type sessionModel struct {
	ID                        string `json:"$id"`
	CreatedAt                 string `json:"$createdAt"`
	UserID                    string `json:"userId"`
	Expire                    string `json:"expire"`
	Provider                  string `json:"provider"`
	ProviderUID               string `json:"providerUid"`
	ProviderAccessToken       string `json:"providerAccessToken"`
	ProviderAccessTokenExpiry string `json:"providerAccessTokenExpiry"`
	ProviderRefreshToken      string `json:"providerRefreshToken"`
	IP                        string `json:"ip"`
	OSCode                    string `json:"osCode"`
	OSName                    string `json:"osName"`
	OSVersion                 string `json:"osVersion"`
	ClientType                string `json:"clientType"`
	ClientCode                string `json:"clientCode"`
	ClientName                string `json:"clientName"`
	ClientVersion             string `json:"clientVersion"`
	ClientEngine              string `json:"clientEngine"`
	ClientEngineVersion       string `json:"clientEngineVersion"`
	DeviceName                string `json:"deviceName"`
	DeviceBrand               string `json:"deviceBrand"`
	DeviceModel               string `json:"deviceModel"`
	CountryCode               string `json:"countryCode"`
	CountryName               string `json:"countryName"`
	Current                   bool   `json:"current"`
}

// renderSession is the session model of s, with its provider tokens
// opened (they are sealed at rest).
func (svc *Service) renderSession(s *Session, current bool) sessionModel {
	d := s.Device
	country := s.CountryCode
	if country == "" {
		country = "--"
	}
	return sessionModel{
		ID:                        s.ID,
		CreatedAt:                 formatTime(s.CreatedAt),
		UserID:                    s.UserID,
		Expire:                    formatTime(s.Expire),
		Provider:                  s.Provider,
		ProviderUID:               s.ProviderUID,
		ProviderAccessToken:       svc.openString(s.ProviderAccessToken),
		ProviderAccessTokenExpiry: formatTime(s.ProviderAccessTokenExpiry),
		ProviderRefreshToken:      svc.openString(s.ProviderRefreshToken),
		IP:                        s.IP,
		OSCode:                    d.OSCode,
		OSName:                    d.OSName,
		OSVersion:                 d.OSVersion,
		ClientType:                d.ClientType,
		ClientCode:                d.ClientCode,
		ClientName:                d.ClientName,
		ClientVersion:             d.ClientVersion,
		ClientEngine:              d.ClientEngine,
		ClientEngineVersion:       d.ClientEngineVersion,
		DeviceName:                d.DeviceName,
		DeviceBrand:               d.DeviceBrand,
		DeviceModel:               d.DeviceModel,
		CountryCode:               country,
		CountryName:               countryName(country),
		Current:                   current,
	}
}

// sessionListModel is the Appwrite `sessionList` model.
type sessionListModel struct {
	Total    int            `json:"total"`
	Sessions []sessionModel `json:"sessions"`
}

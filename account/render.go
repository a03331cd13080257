package account

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/accountgate/accountgate/account/core"
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
	Labels            []string        `json:"labels"`
	PasswordUpdate    string          `json:"passwordUpdate"`
	Email             string          `json:"email"`
	Phone             string          `json:"phone"`
	EmailVerification bool            `json:"emailVerification"`
	PhoneVerification bool            `json:"phoneVerification"`
	MFA               bool            `json:"mfa"`
	Prefs             json.RawMessage `json:"prefs"`
	Targets           []targetModel   `json:"targets"`
	AccessedAt        string          `json:"accessedAt"`
}

// targetModel is the Appwrite `target` model: where messages to the user
// can go. The user's email and phone are their targets; there are no
// push targets.
type targetModel struct {
	ID           string `json:"$id"`
	CreatedAt    string `json:"$createdAt"`
	UpdatedAt    string `json:"$updatedAt"`
	Name         string `json:"name"`
	UserID       string `json:"userId"`
	ProviderType string `json:"providerType"`
	Identifier   string `json:"identifier"`
	Expired      bool   `json:"expired"`
}

// targetsOf lists the user's email and phone as targets. Their ids are
// derived from the user and the address, so they stay put while the
// address does; the times are the user record's, which holds them.
func targetsOf(u *User) []targetModel {
	out := []targetModel{}
	add := func(kind, address string) {
		if address == "" {
			return
		}
		sum := sha256.Sum256([]byte(u.ID + "\x00" + kind + "\x00" + address))
		updated := formatTime(u.UpdatedAt)
		out = append(out, targetModel{ID: hex.EncodeToString(sum[:10]), CreatedAt: updated, UpdatedAt: updated,
			UserID: u.ID, ProviderType: kind, Identifier: address})
	}
	add("email", u.Email)
	add("sms", u.Phone)
	return out
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
		Labels:            labelsOf(u),
		PasswordUpdate:    formatTime(u.PasswordUpdate),
		Email:             u.Email,
		Phone:             u.Phone,
		EmailVerification: u.EmailVerification,
		PhoneVerification: u.PhoneVerification,
		Prefs:             prefs,
		Targets:           targetsOf(u),
		AccessedAt:        formatTime(u.AccessedAt),
	}
}

// deviceModel is the device fields of the session and log models, in
// model order: a Device with the models' field names.
type deviceModel struct {
	OSCode              string `json:"osCode"`
	OSName              string `json:"osName"`
	OSVersion           string `json:"osVersion"`
	ClientType          string `json:"clientType"`
	ClientCode          string `json:"clientCode"`
	ClientName          string `json:"clientName"`
	ClientVersion       string `json:"clientVersion"`
	ClientEngine        string `json:"clientEngine"`
	ClientEngineVersion string `json:"clientEngineVersion"`
	DeviceName          string `json:"deviceName"`
	DeviceBrand         string `json:"deviceBrand"`
	DeviceModel         string `json:"deviceModel"`
}

// labelsOf is the user's labels, [] when none.
func labelsOf(u *User) []string {
	if u.Labels == nil {
		return []string{}
	}
	return u.Labels
}

// sessionModel is the Appwrite `session` model, fields in model order.
type sessionModel struct {
	ID                        string `json:"$id"`
	CreatedAt                 string `json:"$createdAt"`
	UpdatedAt                 string `json:"$updatedAt"`
	UserID                    string `json:"userId"`
	Expire                    string `json:"expire"`
	Provider                  string `json:"provider"`
	ProviderUID               string `json:"providerUid"`
	ProviderAccessToken       string `json:"providerAccessToken"`
	ProviderAccessTokenExpiry string `json:"providerAccessTokenExpiry"`
	ProviderRefreshToken      string `json:"providerRefreshToken"`
	IP                        string `json:"ip"`
	deviceModel
	CountryCode string   `json:"countryCode"`
	CountryName string   `json:"countryName"`
	Current     bool     `json:"current"`
	Factors     []string `json:"factors"`
	// Secret is only ever sent by Appwrite to server (API key) callers.
	Secret       string `json:"secret"`
	MFAUpdatedAt string `json:"mfaUpdatedAt"`
}

// renderSession is the session model of s, with its provider tokens
// opened (they are sealed at rest).
func (s *Service) renderSession(sess *Session, current bool) sessionModel {
	country := sess.CountryCode
	if country == "" {
		country = "--"
	}
	return sessionModel{
		ID:                        sess.ID,
		CreatedAt:                 formatTime(sess.CreatedAt),
		UpdatedAt:                 formatTime(sessionUpdated(sess)),
		UserID:                    sess.UserID,
		Expire:                    formatTime(sess.Expire),
		Provider:                  sess.Provider,
		ProviderUID:               sess.ProviderUID,
		ProviderAccessToken:       s.openString(sess.ProviderAccessToken),
		ProviderAccessTokenExpiry: formatTime(sess.ProviderAccessTokenExpiry),
		ProviderRefreshToken:      s.openString(sess.ProviderRefreshToken),
		IP:                        sess.IP,
		deviceModel:               deviceModel(sess.Device),
		CountryCode:               country,
		CountryName:               countryName(country),
		Current:                   current,
		Factors:                   core.ProviderFactors(sess.Provider),
	}
}

// sessionUpdated is when s last changed: its creation until extended.
func sessionUpdated(s *Session) time.Time {
	if s.UpdatedAt.IsZero() {
		return s.CreatedAt
	}
	return s.UpdatedAt
}

// sessionListModel is the Appwrite `sessionList` model.
type sessionListModel struct {
	Total    int            `json:"total"`
	Sessions []sessionModel `json:"sessions"`
}

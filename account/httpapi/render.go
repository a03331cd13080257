package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/geoip"
)

// datetimeLayout is ISO 8601 with milliseconds and a numeric offset, the
// shape of every datetime sent (part A item 9).
const datetimeLayout = "2006-01-02T15:04:05.000-07:00"

func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(datetimeLayout)
}

// AccountModel is the Appwrite `account` model, fields in model order. It
// never carries the password, hash or hash options (part A item 6).
type AccountModel struct {
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
	Targets           []TargetModel   `json:"targets"`
	AccessedAt        string          `json:"accessedAt"`
}

// TargetModel is the Appwrite `target` model: where messages to the user
// can go. The user's email and phone are their targets; there are no
// push targets.
type TargetModel struct {
	ID           string `json:"$id"`
	CreatedAt    string `json:"$createdAt"`
	UpdatedAt    string `json:"$updatedAt"`
	Name         string `json:"name"`
	UserID       string `json:"userId"`
	ProviderType string `json:"providerType"`
	Identifier   string `json:"identifier"`
	Expired      bool   `json:"expired"`
}

// TargetsOf lists the user's email and phone as targets. Their ids are
// derived from the user and the address, so they stay put while the
// address does; the times are the user record's, which holds them.
func TargetsOf(u *core.User) []TargetModel {
	out := []TargetModel{}
	add := func(kind, address string) {
		if address == "" {
			return
		}
		sum := sha256.Sum256([]byte(u.ID + "\x00" + kind + "\x00" + address))
		updated := FormatTime(u.UpdatedAt)
		out = append(out, TargetModel{ID: hex.EncodeToString(sum[:10]), CreatedAt: updated, UpdatedAt: updated,
			UserID: u.ID, ProviderType: kind, Identifier: address})
	}
	add("email", u.Email)
	add("sms", u.Phone)
	return out
}

func RenderAccount(u *core.User) AccountModel {
	prefs := u.Prefs
	if len(prefs) == 0 {
		prefs = json.RawMessage("{}")
	}
	return AccountModel{
		ID:                u.ID,
		CreatedAt:         FormatTime(u.CreatedAt),
		UpdatedAt:         FormatTime(u.UpdatedAt),
		Name:              u.Name,
		Registration:      FormatTime(u.Registration),
		Status:            u.Status,
		Labels:            LabelsOf(u),
		PasswordUpdate:    FormatTime(u.PasswordUpdate),
		Email:             u.Email,
		Phone:             u.Phone,
		EmailVerification: u.EmailVerification,
		PhoneVerification: u.PhoneVerification,
		Prefs:             prefs,
		Targets:           TargetsOf(u),
		AccessedAt:        FormatTime(u.AccessedAt),
	}
}

// DeviceModel is the device fields of the session and log models, in
// model order: a Device with the models' field names.
type DeviceModel struct {
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

// LabelsOf is the user's labels, [] when none.
func LabelsOf(u *core.User) []string {
	if u.Labels == nil {
		return []string{}
	}
	return u.Labels
}

// SessionModel is the Appwrite `session` model, fields in model order.
type SessionModel struct {
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
	DeviceModel
	CountryCode string   `json:"countryCode"`
	CountryName string   `json:"countryName"`
	Current     bool     `json:"current"`
	Factors     []string `json:"factors"`
	// Secret is only ever sent by Appwrite to server (API key) callers.
	Secret       string `json:"secret"`
	MFAUpdatedAt string `json:"mfaUpdatedAt"`
}

// SessionUpdated is when s last changed: its creation until extended.
func SessionUpdated(s *core.Session) time.Time {
	if s.UpdatedAt.IsZero() {
		return s.CreatedAt
	}
	return s.UpdatedAt
}

// SessionListModel is the Appwrite `sessionList` model.
type SessionListModel struct {
	Total    int            `json:"total"`
	Sessions []SessionModel `json:"sessions"`
}

// IdentityModel is the Appwrite `identity` model (format 1.4 on). The
// provider's tokens live on the sessions that provider opened, not on
// the identity: they are "" here.
type IdentityModel struct {
	ID                        string `json:"$id"`
	CreatedAt                 string `json:"$createdAt"`
	UpdatedAt                 string `json:"$updatedAt"`
	UserID                    string `json:"userId"`
	Provider                  string `json:"provider"`
	ProviderUID               string `json:"providerUid"`
	ProviderEmail             string `json:"providerEmail"`
	ProviderAccessToken       string `json:"providerAccessToken"`
	ProviderAccessTokenExpiry string `json:"providerAccessTokenExpiry"`
	ProviderRefreshToken      string `json:"providerRefreshToken"`
	ProviderIDToken           string `json:"providerIdToken"`
}

// TokenModel is the Appwrite `token` model. The secret is never sent
// (part A items 15-16).
type TokenModel struct {
	ID        string `json:"$id"`
	CreatedAt string `json:"$createdAt"`
	UserID    string `json:"userId"`
	Secret    string `json:"secret"`
	Expire    string `json:"expire"`
	// Phrase is the security phrase shown in the mail, when the client
	// asked for one (token sign-in); "" otherwise.
	Phrase string `json:"phrase"`
}

func RenderToken(t *core.Token) TokenModel {
	return TokenModel{ID: t.ID, CreatedAt: FormatTime(t.CreatedAt), UserID: t.UserID, Expire: FormatTime(t.Expire)}
}

// CountryName is the English name of a country code, "Unknown" for "--".
func CountryName(code string) string { return geoip.CountryName(code) }

// WriteToken answers a token-creating route.
func WriteToken(w http.ResponseWriter, status int, t *core.Token) error {
	return WriteJSON(w, status, RenderToken(t))
}

package core

import (
	"crypto/sha256"
	"encoding/json"
	"slices"
	"time"

	"github.com/accountgate/accountgate/account/useragent"
)

// User is an account as the store keeps it.
type User struct {
	ID        string
	CreatedAt time.Time
	UpdatedAt time.Time
	Name      string
	// Email is lowercased; "" means none.
	Email string
	// Phone is E.164; "" means none.
	Phone string
	// PasswordHash is a PHC or modular-crypt string; "" means no password.
	PasswordHash string
	// PasswordUpdate is when the user last chose a password; zero means never.
	PasswordUpdate    time.Time
	Registration      time.Time
	Status            bool
	EmailVerification bool
	PhoneVerification bool
	// Prefs is a JSON object; nil or empty means {}.
	Prefs json.RawMessage
	// PasswordHistory holds the latest password hashes, newest last, when
	// the project keeps a password history; nil otherwise.
	PasswordHistory []string
	// AccessedAt is when the user last used the API, kept to the hour
	// (accessedThrottle); zero means never recorded.
	AccessedAt time.Time
	// Labels are the operator's tags of the user (alphanumeric, distinct,
	// in the order given); nil means none.
	Labels []string
}

// Session is a signed-in device. The secret itself is never stored: only its
// SHA-256 in SecretHash.
type Session struct {
	ID        string
	UserID    string
	CreatedAt time.Time
	// UpdatedAt is when the session last changed (extended); the
	// creation time until then.
	UpdatedAt                 time.Time
	Expire                    time.Time
	Provider                  string
	ProviderUID               string
	ProviderAccessToken       string
	ProviderRefreshToken      string
	ProviderAccessTokenExpiry time.Time
	SecretHash                []byte
	IP                        string
	UserAgent                 string
	CountryCode               string
	Device                    Device
}

// Device is what the user agent of a session or log entry says about the
// client, as useragent.Parse reads it. Empty fields are sent as "".
type Device = useragent.Device

// LogEntry is one security-log event of a user.
type LogEntry struct {
	ID     string
	UserID string
	// Event is the audit event name, e.g. "session.create".
	Event string
	// UserEmail and UserName are as they were when the event happened.
	UserEmail   string
	UserName    string
	Mode        string
	IP          string
	Time        time.Time
	UserAgent   string
	CountryCode string
	Device      Device
}

// TokenType says which flow a token belongs to; a token of one type
// never works in another flow.
type TokenType int

// The token types. The numbers follow Appwrite's where it has one; phone
// sessions and phone verification get distinct types (part A item 14).
const (
	TokenVerification      TokenType = 2
	TokenRecovery          TokenType = 3
	TokenMagicURL          TokenType = 5
	TokenPhoneSession      TokenType = 6
	TokenPhoneVerification TokenType = 7
	// TokenEmailCode is the six-digit code of email OTP sign-in
	// (POST /tokens/email), Appwrite's TOKEN_TYPE_EMAIL.
	TokenEmailCode TokenType = 9
	// TokenOAuth2 ends the OAuth2 token flow (GET /tokens/oauth2); its
	// target is the linked identity it signs in with. Appwrite's number
	// for it (7) is phone verification's here.
	TokenOAuth2 TokenType = 10
	// TokenGeneric is a secret a server made for a user (POST
	// /v1/users/{userId}/tokens), Appwrite's TOKEN_TYPE_GENERIC; its
	// target is the user itself.
	TokenGeneric TokenType = 11
)

// Token is a single-use secret sent to a user by mail or SMS. Only the
// secret's SHA-256 is stored.
type Token struct {
	ID         string
	UserID     string
	Type       TokenType
	SecretHash []byte
	// Target is the SHA-256 of the email address or phone number the
	// token was sent to (TargetHash): it proves that address only.
	Target    []byte
	CreatedAt time.Time
	Expire    time.Time
	IP        string
	UserAgent string
}

// TargetHash is the Token.Target of a token sent to value, an email
// address (lowercased, as stored) or an E.164 phone number.
func TargetHash(value string) []byte {
	h := sha256.Sum256([]byte(value))
	return h[:]
}

// LinkedIdentity ties a provider account (provider, provider user id) to
// a user, so the next OAuth2 sign-in finds the same user.
type LinkedIdentity struct {
	ID            string
	UserID        string
	Provider      string
	ProviderUID   string
	ProviderEmail string
	CreatedAt     time.Time
}

// ProviderFactors are the factors a sign-in proved, as Appwrite names
// them: a password, a mailbox (magic URL, email code; OAuth2 providers
// vouch for the email and add their own marker), a phone, or nothing
// but the device (anonymous).
func ProviderFactors(provider string) []string {
	switch provider {
	case "email":
		return []string{"password"}
	case "magic-url", "token":
		return []string{"email"}
	case "phone":
		return []string{"phone"}
	case "anonymous":
		return []string{"anonymous"}
	case "server": // a session a server made with the Users API
		return []string{"server"}
	case "":
		return []string{}
	}
	return []string{"email", "oauth2"}
}

// SignInFactors are the factors a sign-in with provider proved, without
// the markers that prove nothing more (oauth2, anonymous).
func SignInFactors(provider string) []string {
	return slices.DeleteFunc(ProviderFactors(provider), func(f string) bool { return f == "oauth2" || f == "anonymous" })
}

// ProviderServer names a session a server created for a user through the
// Users API (Appwrite's SESSION_PROVIDER_SERVER).
const ProviderServer = "server"

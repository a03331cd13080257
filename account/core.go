package account

import "github.com/accountgate/accountgate/account/core"

// The domain core (models, the error catalogue, the store interfaces)
// lives in account/core; these re-exports keep account's callers (the
// Caddy adapter, the feature packages, the tests) compiling unchanged.

type (
	Device         = core.Device
	Error          = core.Error
	ErrorType      = core.ErrorType
	Identities     = core.Identities
	ImportResult   = core.ImportResult
	LinkedIdentity = core.LinkedIdentity
	LogEntry       = core.LogEntry
	Logs           = core.Logs
	MFA            = core.MFA
	MFAState       = core.MFAState
	Revocation     = core.Revocation
	Revocations    = core.Revocations
	Session        = core.Session
	Sessions       = core.Sessions
	Settings       = core.Settings
	SharedCache    = core.SharedCache
	Store          = core.Store
	StoreStatus    = core.StoreStatus
	Token          = core.Token
	TokenKind      = core.TokenKind
	TokenType      = core.TokenType
	Tokens         = core.Tokens
	User           = core.User
	UserFilter     = core.UserFilter
	UserImporter   = core.UserImporter
	UserQuery      = core.UserQuery
	Users          = core.Users
)

var (
	ErrConflict    = core.ErrConflict
	ErrNotFound    = core.ErrNotFound
	ErrUnavailable = core.ErrUnavailable
)

// NewError returns an error of type t with t's default message.
func NewError(t ErrorType) *Error { return core.NewError(t) }

// Errorf returns an error of type t with a formatted message.
func Errorf(t ErrorType, format string, args ...any) *Error { return core.Errorf(t, format, args...) }

// AsError maps any error to the *Error that is sent (see core.AsError).
func AsError(err error) *Error { return core.AsError(err) }

// ImportKey tells apart the users of one ImportUsers call (see core).
func ImportKey(u *User) string { return core.ImportKey(u) }

// TargetHash is the Token.Target of a token sent to value (see core).
func TargetHash(value string) []byte { return core.TargetHash(value) }

const (
	ErrGeneralArgumentInvalid           = core.ErrGeneralArgumentInvalid
	ErrGeneralCursorNotFound            = core.ErrGeneralCursorNotFound
	ErrGeneralNotImplemented            = core.ErrGeneralNotImplemented
	ErrGeneralPhoneDisabled             = core.ErrGeneralPhoneDisabled
	ErrGeneralRateLimitExceeded         = core.ErrGeneralRateLimitExceeded
	ErrGeneralResourceBlocked           = core.ErrGeneralResourceBlocked
	ErrGeneralRouteNotFound             = core.ErrGeneralRouteNotFound
	ErrGeneralSMTPDisabled              = core.ErrGeneralSMTPDisabled
	ErrGeneralServerBusy                = core.ErrGeneralServerBusy
	ErrGeneralServerError               = core.ErrGeneralServerError
	ErrGeneralServiceDisabled           = core.ErrGeneralServiceDisabled
	ErrGeneralUnauthorizedScope         = core.ErrGeneralUnauthorizedScope
	ErrGeneralUnknown                   = core.ErrGeneralUnknown
	ErrGeneralUnknownOrigin             = core.ErrGeneralUnknownOrigin
	ErrPasswordRecentlyUsed             = core.ErrPasswordRecentlyUsed
	ErrProjectNotFound                  = core.ErrProjectNotFound
	ErrProjectProviderDisabled          = core.ErrProjectProviderDisabled
	ErrProjectProviderUnsupported       = core.ErrProjectProviderUnsupported
	ErrUserAPIKeyAndSessionSet          = core.ErrUserAPIKeyAndSessionSet
	ErrUserAlreadyExists                = core.ErrUserAlreadyExists
	ErrUserAuthMethodUnsupported        = core.ErrUserAuthMethodUnsupported
	ErrUserAuthenticatorAlreadyVerified = core.ErrUserAuthenticatorAlreadyVerified
	ErrUserAuthenticatorNotFound        = core.ErrUserAuthenticatorNotFound
	ErrUserBlocked                      = core.ErrUserBlocked
	ErrUserCountExceeded                = core.ErrUserCountExceeded
	ErrUserEmailAlreadyExists           = core.ErrUserEmailAlreadyExists
	ErrUserIdentityNotFound             = core.ErrUserIdentityNotFound
	ErrUserInvalidCredentials           = core.ErrUserInvalidCredentials
	ErrUserInvalidToken                 = core.ErrUserInvalidToken
	ErrUserJWTInvalid                   = core.ErrUserJWTInvalid
	ErrUserMFARequired                  = core.ErrUserMFARequired
	ErrUserMissingID                    = core.ErrUserMissingID
	ErrUserMoreFactorsRequired          = core.ErrUserMoreFactorsRequired
	ErrUserNotFound                     = core.ErrUserNotFound
	ErrUserOAuthFailed                  = core.ErrUserOAuthFailed
	ErrUserPasswordMismatch             = core.ErrUserPasswordMismatch
	ErrUserPhoneAlreadyExists           = core.ErrUserPhoneAlreadyExists
	ErrUserPhoneNotFound                = core.ErrUserPhoneNotFound
	ErrUserRecoveryCodesAlreadyExists   = core.ErrUserRecoveryCodesAlreadyExists
	ErrUserRecoveryCodesNotFound        = core.ErrUserRecoveryCodesNotFound
	ErrUserSessionAlreadyExists         = core.ErrUserSessionAlreadyExists
	ErrUserSessionNotFound              = core.ErrUserSessionNotFound
	ErrUserUnauthorized                 = core.ErrUserUnauthorized
	ImportCreated                       = core.ImportCreated
	ImportExists                        = core.ImportExists
	ImportTaken                         = core.ImportTaken
	TokenEmailCode                      = core.TokenEmailCode
	TokenGeneric                        = core.TokenGeneric
	TokenMagicURL                       = core.TokenMagicURL
	TokenOAuth2                         = core.TokenOAuth2
	TokenPhoneSession                   = core.TokenPhoneSession
	TokenPhoneVerification              = core.TokenPhoneVerification
	TokenRecovery                       = core.TokenRecovery
	TokenVerification                   = core.TokenVerification
)

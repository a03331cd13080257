package core

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrorType is an Appwrite error type, sent as the `type` field of an error
// response. Its HTTP status and default message are fixed in catalogue.
type ErrorType string

// The error types Accountgate sends, with Appwrite's names.
const (
	ErrGeneralArgumentInvalid     ErrorType = "general_argument_invalid"
	ErrGeneralUnauthorizedScope   ErrorType = "general_unauthorized_scope"
	ErrGeneralUnknownOrigin       ErrorType = "general_unknown_origin"
	ErrGeneralResourceBlocked     ErrorType = "general_resource_blocked"
	ErrGeneralRouteNotFound       ErrorType = "general_route_not_found"
	ErrGeneralCursorNotFound      ErrorType = "general_cursor_not_found"
	ErrGeneralUnknown             ErrorType = "general_unknown"
	ErrGeneralServerError         ErrorType = "general_server_error"
	ErrGeneralServerBusy          ErrorType = "general_server_busy"
	ErrGeneralServiceDisabled     ErrorType = "general_service_disabled"
	ErrGeneralRateLimitExceeded   ErrorType = "general_rate_limit_exceeded"
	ErrProjectNotFound            ErrorType = "project_not_found"
	ErrUserAlreadyExists          ErrorType = "user_already_exists"
	ErrUserBlocked                ErrorType = "user_blocked"
	ErrUserInvalidCredentials     ErrorType = "user_invalid_credentials"
	ErrUserNotFound               ErrorType = "user_not_found"
	ErrUserSessionNotFound        ErrorType = "user_session_not_found"
	ErrUserAuthMethodUnsupported  ErrorType = "user_auth_method_unsupported"
	ErrUserUnauthorized           ErrorType = "user_unauthorized"
	ErrUserJWTInvalid             ErrorType = "user_jwt_invalid"
	ErrUserSessionAlreadyExists   ErrorType = "user_session_already_exists"
	ErrUserEmailAlreadyExists     ErrorType = "user_email_already_exists"
	ErrUserPhoneAlreadyExists     ErrorType = "user_phone_already_exists"
	ErrUserPasswordMismatch       ErrorType = "user_password_mismatch"
	ErrUserInvalidToken           ErrorType = "user_invalid_token"
	ErrUserCountExceeded          ErrorType = "user_count_exceeded"
	ErrPasswordRecentlyUsed       ErrorType = "password_recently_used"
	ErrProjectProviderUnsupported ErrorType = "project_provider_unsupported"
	ErrGeneralSMTPDisabled        ErrorType = "general_smtp_disabled"
	ErrGeneralPhoneDisabled       ErrorType = "general_phone_disabled"
	ErrUserPhoneNotFound          ErrorType = "user_phone_not_found"
	ErrProjectProviderDisabled    ErrorType = "project_provider_disabled"
	ErrUserMissingID              ErrorType = "user_missing_id"
	ErrUserOAuthFailed            ErrorType = "user_oauth2_provider_error"
	ErrUserIdentityNotFound       ErrorType = "user_identity_not_found"
	ErrUserAPIKeyAndSessionSet    ErrorType = "user_api_key_and_session_set"
	ErrGeneralNotImplemented      ErrorType = "general_not_implemented"

	// Multi-factor authentication (account/mfa).
	ErrUserMoreFactorsRequired          ErrorType = "user_more_factors_required"
	ErrUserAuthenticatorNotFound        ErrorType = "user_authenticator_not_found"
	ErrUserAuthenticatorAlreadyVerified ErrorType = "user_authenticator_already_verified"
	ErrUserRecoveryCodesAlreadyExists   ErrorType = "user_recovery_codes_already_exists"
	ErrUserRecoveryCodesNotFound        ErrorType = "user_recovery_codes_not_found"
	ErrUserMFARequired                  ErrorType = "user_mfa_required"
)

type errorInfo struct {
	Status  int
	Message string
}

// catalogue fixes the status and default message of every error type, so
// call sites never choose a status themselves.
var catalogue = map[ErrorType]errorInfo{
	ErrGeneralArgumentInvalid:     {400, "The request contains one or more invalid arguments. Please refer to the endpoint documentation."},
	ErrGeneralUnauthorizedScope:   {401, "The current user or API key does not have the required scopes to access the requested resource."},
	ErrGeneralResourceBlocked:     {403, "Access to this resource is blocked."},
	ErrGeneralUnknownOrigin:       {403, "The request originated from an unknown origin. If you trust this domain, please list it as a trusted platform in the Appwrite console."},
	ErrGeneralRouteNotFound:       {404, "Not Found"},
	ErrGeneralCursorNotFound:      {400, "The cursor is invalid."},
	ErrGeneralUnknown:             {500, "Server Error"},
	ErrGeneralServerError:         {500, "Server Error"},
	ErrGeneralServerBusy:          {503, "The server is busy. Please try again in a moment."},
	ErrGeneralServiceDisabled:     {503, "The requested service is temporarily unavailable. Please try again later."},
	ErrGeneralRateLimitExceeded:   {429, "Rate limit for the current endpoint has been exceeded. Please try again after some time."},
	ErrProjectNotFound:            {404, "Project with the requested ID could not be found. Please check the value of the X-Appwrite-Project header to ensure the correct project ID is being used."},
	ErrUserAlreadyExists:          {409, "A user with the same id, email, or phone already exists in your project."},
	ErrUserBlocked:                {401, "The current user has been blocked. You can unblock the user from the Appwrite console."},
	ErrUserInvalidCredentials:     {401, "Invalid credentials. Please check the email and password."},
	ErrUserNotFound:               {404, "User with the requested ID could not be found."},
	ErrUserSessionNotFound:        {404, "The current user session could not be found."},
	ErrUserAuthMethodUnsupported:  {501, "The requested authentication method is either disabled or unsupported. Please check the supported authentication methods in the Appwrite console."},
	ErrUserUnauthorized:           {401, "The current user is not authorized to perform the requested action."},
	ErrUserJWTInvalid:             {401, "The JWT token is invalid. Please check the value of the X-Appwrite-JWT header to ensure the correct token is being used."},
	ErrUserSessionAlreadyExists:   {401, "Cannot create an anonymous user when logged in"},
	ErrUserEmailAlreadyExists:     {409, "A user with the same email already exists in the current project."},
	ErrUserPhoneAlreadyExists:     {409, "A user with the same phone number already exists in the current project."},
	ErrUserPasswordMismatch:       {400, "Passwords do not match. Please check the password and confirm password."},
	ErrUserInvalidToken:           {401, "Invalid token passed in the request."},
	ErrUserCountExceeded:          {501, "The current project has exceeded the maximum number of users. Please check your user limit in the Appwrite console."},
	ErrPasswordRecentlyUsed:       {409, "The password was recently used"},
	ErrProjectProviderUnsupported: {501, "The chosen OAuth provider is unsupported."},
	ErrGeneralSMTPDisabled:        {503, "SMTP Disabled"},
	ErrGeneralPhoneDisabled:       {503, "Phone provider not configured"},
	ErrUserPhoneNotFound:          {400, "The current user does not have a phone number associated with their account."},
	ErrProjectProviderDisabled:    {412, "The chosen OAuth provider is disabled. You can enable the OAuth provider using the Appwrite console."},
	ErrUserMissingID:              {400, "Missing ID from OAuth2 provider."},
	ErrUserOAuthFailed:            {400, "Failed to connect to the OAuth2 provider."},
	ErrUserIdentityNotFound:       {404, "The identity could not be found. Please sign in with OAuth provider to create identity first."},
	ErrUserAPIKeyAndSessionSet:    {403, "API key and session used in the same request. Use either `setSession` or `setKey`. Learn about which authentication method to use in the SSR docs: https://appwrite.io/docs/products/auth/server-side-rendering"},
	// Appwrite answers 405 for this type, not 501.
	ErrGeneralNotImplemented: {405, "This method was not fully implemented yet. If you believe this is a mistake, please upgrade your Appwrite server version."},

	ErrUserMoreFactorsRequired:          {401, "More factors are required to complete the sign in process."},
	ErrUserAuthenticatorNotFound:        {404, "Authenticator could not be found on the current user."},
	ErrUserAuthenticatorAlreadyVerified: {409, "Authenticator has already been verified on the current user."},
	ErrUserRecoveryCodesAlreadyExists:   {409, "The current user already generated recovery codes and they can only be read once for security reasons."},
	ErrUserRecoveryCodesNotFound:        {404, "Recovery codes could not be found on the current user."},
	// Accountgate's own: a gate with `require mfa` refuses accounts
	// without a second factor.
	ErrUserMFARequired: {403, "This site requires multi-factor authentication. Turn it on for your account and add a second factor first."},
}

// Error is an API error: an Appwrite type, the message sent to the client
// and, for logs only, the underlying cause.
type Error struct {
	Type    ErrorType
	Message string
	// Err is the cause, for logs; it is never sent to the client.
	Err error
}

// NewError returns an error of type t with t's default message.
func NewError(t ErrorType) *Error { return &Error{Type: t, Message: catalogue[t].Message} }

// Errorf returns an error of type t with a formatted message.
func Errorf(t ErrorType, format string, args ...any) *Error {
	return &Error{Type: t, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Type, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Type, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Status is the HTTP status of the error's type.
func (e *Error) Status() int {
	if info, ok := catalogue[e.Type]; ok {
		return info.Status
	}
	return http.StatusInternalServerError
}

// AsError maps any error to the *Error that is sent: an *Error as it is,
// store sentinels to their types, and everything else to a 500 whose cause
// is kept for the log only.
func AsError(err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, ErrUnavailable):
		return &Error{Type: ErrGeneralServiceDisabled, Message: catalogue[ErrGeneralServiceDisabled].Message, Err: err}
	default:
		return &Error{Type: ErrGeneralUnknown, Message: "Server Error", Err: err}
	}
}

// InvalidParam is a 400 general_argument_invalid naming the parameter and
// what it must be, Appwrite's "Invalid <param>: <description>".
func InvalidParam(name, desc string) *Error {
	return Errorf(ErrGeneralArgumentInvalid, "Invalid %s: %s", name, desc)
}

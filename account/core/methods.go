package core

import (
	"slices"
	"strings"
)

// AuthMethodName is a sign-in method that a project can switch off.
type AuthMethodName string

// The sign-in methods.
const (
	MethodEmailPassword AuthMethodName = "email-password"
	MethodAnonymous     AuthMethodName = "anonymous"
	MethodJWT           AuthMethodName = "jwt"
	MethodMagicURL      AuthMethodName = "magic-url"
	MethodPhone         AuthMethodName = "phone"
	MethodOAuth2        AuthMethodName = "oauth2"
	MethodEmailOTP      AuthMethodName = "email-otp"
)

var methodTitles = map[AuthMethodName]string{
	MethodEmailPassword: "Email / Password",
	MethodAnonymous:     "Anonymous",
	MethodJWT:           "JWT",
	MethodMagicURL:      "Magic URL",
	MethodPhone:         "Phone",
	MethodOAuth2:        "OAuth2",
	MethodEmailOTP:      "Email (OTP)",
}

// AuthMethod returns the method named name and whether it exists.
func AuthMethod(name string) (AuthMethodName, bool) {
	m := AuthMethodName(name)
	return m, m.Valid()
}

func (m AuthMethodName) Valid() bool { _, ok := methodTitles[m]; return ok }

// Title is the method's name in Appwrite's messages.
func (m AuthMethodName) Title() string { return methodTitles[m] }

func AuthMethodNameNames() string {
	var names []string
	for m := range methodTitles {
		names = append(names, string(m))
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

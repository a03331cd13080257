// Package accountapi serves the Account API (/v1/account) as the Appwrite
// SDKs call it: accounts, sign-in by password, magic URL, email code,
// phone, OAuth2 and anonymously, sessions, JWTs, profile and prefs,
// recovery, verification, identities and the security log. MFA has its
// own package.
package accountapi

import (
	"github.com/accountgate/accountgate/account/domain"
)

// Handlers serve the Account API of one project.
type Handlers struct{ domain.Env }

// New returns the Account API over env.
func New(env domain.Env) *Handlers { return &Handlers{env} }

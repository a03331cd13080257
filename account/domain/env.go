package domain

import (
	"log/slog"
	"net/url"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/outbox"
	"github.com/accountgate/accountgate/account/ratelimit"
	"github.com/accountgate/accountgate/account/seal"
	"github.com/accountgate/accountgate/account/verify"
)

// Env is what the API packages (accountapi, sessionsapi, passwordless,
// oauthapi, mfa, usersapi) are built from: the pipeline, the shared
// operations and the project's parts. An API type embeds it, so its
// handlers call both as their own.
type Env struct {
	*httpapi.API
	*Accounts
	Project   *core.Config
	Store     core.Store
	Verifier  *verify.Verifier
	Hasher    *core.Hasher
	Outbox    *outbox.Outbox
	Limiter   ratelimit.Limiter
	PublicURL *url.URL
	// Secret is the project secret; it keys the OAuth2 state MACs.
	Secret []byte
	// TOTPSeal seals TOTP secrets at rest.
	TOTPSeal *seal.Sealer
	Log      *slog.Logger
}

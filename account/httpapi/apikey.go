package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"slices"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/verify"
)

// HeaderKey carries an API key.
const HeaderKey = "X-Appwrite-Key"

// apiKey is a configured key as the service keeps it: its hash, never the
// key.
type apiKey struct {
	name   string
	hash   [32]byte
	scopes []string
}

// HashAPIKeys keeps what verifying needs of keys: names, hashes, scopes.
func HashAPIKeys(keys []core.APIKey) []apiKey {
	out := make([]apiKey, 0, len(keys))
	for _, k := range keys {
		out = append(out, apiKey{name: k.Name, hash: sha256.Sum256([]byte(k.Secret)), scopes: slices.Clone(k.Scopes)})
	}
	return out
}

// APIKeyOf returns the configured key the request's X-Appwrite-Key is,
// nil for none or an unknown one. Every configured hash is compared, in
// constant time, so the time taken says nothing about which key nearly
// matched.
func (a *API) APIKeyOf(r *http.Request) *apiKey {
	v := r.Header.Get(HeaderKey)
	if v == "" {
		return nil
	}
	h := sha256.Sum256([]byte(v))
	var found *apiKey
	for i := range a.keys {
		if subtle.ConstantTimeCompare(a.keys[i].hash[:], h[:]) == 1 {
			found = &a.keys[i]
		}
	}
	return found
}

// Has reports whether the key holds scope.
func (k *apiKey) Has(scope string) bool { return k != nil && slices.Contains(k.scopes, scope) }

// checkKeyScope is the pipeline's check for a route that needs an API
// key scope: a key and a session together are refused (as today's
// Appwrite does); a key without the scope, a guest or a user is 401
// general_unauthorized_scope naming the scope, in Appwrite's words.
func (a *API) checkKeyScope(r *http.Request, principal *verify.Principal, needed string) error {
	sentKey := r.Header.Get(HeaderKey) != ""
	if sentKey && principal != nil {
		return core.NewError(core.ErrUserAPIKeyAndSessionSet)
	}
	key := a.APIKeyOf(r)
	switch {
	case key.Has(needed):
		return nil
	case key != nil:
		return core.Errorf(core.ErrGeneralUnauthorizedScope, "app.%s@service.%s (role: applications) missing scope (%s)", a.cfg.ProjectID, a.publicURL.Hostname(), needed)
	case principal != nil:
		who := principal.User.Email
		if who == "" {
			who = "User"
		}
		return core.Errorf(core.ErrGeneralUnauthorizedScope, "%s (role: users) missing scope (%s)", who, needed)
	}
	return core.Errorf(core.ErrGeneralUnauthorizedScope, "User (role: guests) missing scope (%s)", needed)
}

// SessionSecretShown reports whether the caller is a server that may see
// new session secrets: an API key holding sessions.write and no session
// (a key with a session is refused before any handler runs).
func (a *API) SessionSecretShown(r *Request) bool {
	return r.Principal == nil && a.APIKeyOf(r.Request).Has(core.ScopeSessionsWrite)
}

package core

import (
	"crypto/sha256"
	"fmt"
)

// APIKey is a project API key: a server's credential for the Users API,
// sent as X-Appwrite-Key.
type APIKey struct {
	// Name identifies the key in configuration and errors; never the
	// secret.
	Name string
	// Secret is the key itself; at least 32 bytes. The service keeps
	// only its SHA-256.
	Secret string
	// Scopes are what the key may do: users.read, users.write,
	// sessions.write.
	Scopes []string
}

// The scopes an API key can hold.
const (
	ScopeUsersRead     = "users.read"
	ScopeUsersWrite    = "users.write"
	ScopeSessionsWrite = "sessions.write"
)

// MinAPIKeyBytes is the shortest key accepted: a key is a bearer secret
// that must not be guessable.
const MinAPIKeyBytes = 32

// KnownScope reports whether scope is one an API key may hold.
func KnownScope(scope string) bool {
	return scope == ScopeUsersRead || scope == ScopeUsersWrite || scope == ScopeSessionsWrite
}

// CheckAPIKeys is Config.validate's part for keys: named, long enough,
// distinct, with known scopes. Messages name the key, never its secret.
func CheckAPIKeys(keys []APIKey) []error {
	var errs []error
	names := map[string]bool{}
	secrets := map[[32]byte]bool{}
	for _, k := range keys {
		if k.Name == "" {
			errs = append(errs, fmt.Errorf("an API key has no name"))
		} else if names[k.Name] {
			errs = append(errs, fmt.Errorf("API key %q: configured twice", k.Name))
		}
		names[k.Name] = true
		if len(k.Secret) < MinAPIKeyBytes {
			errs = append(errs, fmt.Errorf("API key %q: the key must be at least %d characters", k.Name, MinAPIKeyBytes))
		}
		h := sha256.Sum256([]byte(k.Secret))
		if secrets[h] {
			errs = append(errs, fmt.Errorf("API key %q: the same key is configured under another name", k.Name))
		}
		secrets[h] = true
		for _, sc := range k.Scopes {
			if !KnownScope(sc) {
				errs = append(errs, fmt.Errorf("API key %q: unknown scope %q (known: users.read, users.write, sessions.write)", k.Name, sc))
			}
		}
	}
	return errs
}

// Package verify is the verifier: it turns a request's credentials (the
// session cookie or secret, a JWT) into a Principal, shared by the API and
// the gate. It owns the JWT keyring (HS256 under keys derived from the
// project secrets, previous secrets still verifying), the bounded
// verification cache and the hook into the shared one, the revocation
// path (dropping cache entries here, in the shared cache, and publishing
// to other instances), the MFA "half signed in" check, and the gate's
// identity headers. The gate's hot path, cookie → cache → headers, reads
// top to bottom in verifier.go.
//
// It depends only on account/core and leaf packages, never on the
// Service.
package verify

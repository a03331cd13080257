package account

import "github.com/accountgate/accountgate/account/verify"

// The verifier (account/verify) owns the principal and the gate's
// identity headers; these re-exports keep account's callers compiling.

type (
	Principal     = verify.Principal
	SessionRef    = verify.SessionRef
	HeaderNames   = verify.HeaderNames
	Identity      = verify.Identity
	IdentityField = verify.IdentityField
)

// IdentityFields is the one list of the identity's items (see verify).
var IdentityFields = verify.IdentityFields

// AssertionHeader carries the signed identity assertion (see verify).
const AssertionHeader = verify.AssertionHeader

// DefaultHeaderNames are the X-Account-* names of DESIGN.md.
func DefaultHeaderNames() HeaderNames { return verify.DefaultHeaderNames() }

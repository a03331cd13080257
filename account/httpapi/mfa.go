package httpapi

import (
	"slices"
	"strings"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/verify"
)

// mfaOpenRoutes are the account routes a half-signed-in session reaches.
var mfaOpenRoutes = []string{
	"GET mfa/factors",
	"POST mfa/challenge",
	"PUT mfa/challenge",
	"POST mfa/challenges",
	"PUT mfa/challenges",
	"DELETE sessions/{sessionId}",
	"DELETE sessions",
}

// CheckMFA refuses a half-signed-in caller on the account routes not open
// to it.
func CheckMFA(p *verify.Principal, rt *Route) error {
	if p == nil || !p.MFAPending || rt.scope != ScopeAccount {
		return nil
	}
	if slices.Contains(mfaOpenRoutes, rt.method+" "+strings.Join(rt.path, "/")) {
		return nil
	}
	return core.NewError(core.ErrUserMoreFactorsRequired)
}

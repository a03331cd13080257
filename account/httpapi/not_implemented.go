package httpapi

import (
	"net/http"
	"strings"

	"github.com/accountgate/accountgate/account/core"
)

// notImplemented lists the routes today's SDKs call that Accountgate does
// not serve yet, each with the feature it belongs to: they answer
// general_not_implemented naming it, not a bare 404.
var notImplemented = []struct{ method, path, feature string }{
	{"POST", "targets/push", "Push targets"},
	{"PUT", "targets/{targetId}/push", "Push targets"},
	{"DELETE", "targets/{targetId}/push", "Push targets"},
	{"GET", "consents", "Consents"},
	{"GET", "consents/{consentId}", "Consents"},
	{"DELETE", "consents/{consentId}", "Consents"},
	{"GET", "consents/{consentId}/tokens", "Consents"},
	{"GET", "consents/{consentId}/tokens/{tokenId}", "Consents"},
	{"DELETE", "consents/{consentId}/tokens/{tokenId}", "Consents"},
	{"POST", "sessions/id-token", "Sign-in with a provider ID token"},
	{"POST", "recovery/otp", "Password recovery by one-time code"},
	{"PUT", "recovery/otp", "Password recovery by one-time code"},
	{"POST", "verifications/email/otp", "Email verification by one-time code"},
	{"PUT", "verifications/email/otp", "Email verification by one-time code"},
}

// NotImplementedRoutes turns the list into routes. They are public: a
// guest learns as much as a user, and nothing is read or written.
func NotImplementedRoutes() []Route {
	out := make([]Route, 0, len(notImplemented))
	for _, n := range notImplemented {
		feature, path := n.feature, n.path
		rt := Route{method: n.method, path: strings.Split(path, "/"), scope: ScopePublic,
			handle: func(http.ResponseWriter, *Request) error {
				return core.Errorf(core.ErrGeneralNotImplemented, "%s (%s /v1/account/%s) is not implemented by this server yet.", feature, n.method, path)
			}}
		out = append(out, rt)
	}
	return out
}

package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/ratelimit"
)

const RateWindow = time.Hour

// RateKey builds the key a limited route counts under.
type RateKey func(r *Request) string

// RateRule is one limit of a route: its name (for configuration) and the
// key it counts under.
type RateRule struct {
	name string
	key  RateKey
}

// limitRate applies a route's limits (facts §3.1): the headers, for the
// rule with the fewest requests left, go out on every answer, and the
// Request N+1 of a window gets 429.
func (a *API) limitRate(w http.ResponseWriter, r *Request, rules []RateRule) error {
	keyed := make([]ratelimit.Rule, len(rules))
	for i, rule := range rules {
		keyed[i] = ratelimit.Rule{Name: rule.name, Key: rule.key(r)}
	}
	res, err := ratelimit.Apply(r.Context(), a.limiter, keyed, a.RateLimit, RateWindow, a.now())
	for _, name := range res.Refused {
		a.ObserveRateLimited(r, name)
	}
	if err != nil || !res.Limited {
		return err
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(res.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(res.Remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(res.Reset.Unix(), 10))
	if len(res.Refused) > 0 {
		return core.NewError(core.ErrGeneralRateLimitExceeded)
	}
	return nil
}

// RateLimit is the configured limit of name; 0 means off.
func (a *API) RateLimit(name string) int {
	if a.cfg.RateLimits.Off {
		return 0
	}
	if n, ok := a.cfg.RateLimits.Limits[name]; ok {
		return n
	}
	return core.DefaultRateLimits()[name]
}

// Key builders, after the templates of facts §3.2. A missing parameter
// stays in the key as its placeholder text, as Appwrite does.
func ByIP(r *Request) string { return "ip:" + r.IP }

func ByParam(name string) RateKey { return ByParamAs(name, nil) }

// ByEmail keys by the email as every handler reads it (NormalizeEmail:
// trimmed, lower-cased with Unicode's rules), so that the spellings of
// one address share one counter.
var ByEmail = ByParamAs("email", core.NormalizeEmail)

// maxKeyValue bounds a parameter's share of a key: longer values (never
// valid ones) are hashed, so a key costs the limiter little memory.
const maxKeyValue = 256

// ByParamAs keys by the parameter name after norm (if any).
func ByParamAs(name string, norm func(string) string) RateKey {
	return func(r *Request) string {
		v, ok, err := r.Params.String(name, "")
		if err == nil && ok && norm != nil {
			v = norm(v)
		}
		if err != nil || !ok || v == "" {
			return name + ":{param-" + name + "}"
		}
		if len(v) > maxKeyValue {
			sum := sha256.Sum256([]byte(v))
			v = "sha256:" + hex.EncodeToString(sum[:])
		}
		return name + ":" + v
	}
}

func ByUser(r *Request) string {
	if r.Principal == nil {
		return "userId:"
	}
	return "userId:" + r.Principal.User.ID
}

// SignInFailuresExceeded reports whether this IP already failed too many
// sign-ins this hour, across all emails.
func (a *API) SignInFailuresExceeded(r *Request) (bool, error) {
	limit := a.RateLimit("signin.failures")
	if limit <= 0 {
		return false, nil
	}
	n, err := a.limiter.Count(r.Context(), "signin.failures|"+ByIP(r), RateWindow, a.now())
	return n >= limit, err
}

// CountSignInFailure records a failed sign-in of this IP.
func (a *API) CountSignInFailure(r *Request) {
	if a.RateLimit("signin.failures") <= 0 {
		return
	}
	if _, _, err := a.limiter.Take(r.Context(), "signin.failures|"+ByIP(r), 1<<30, RateWindow, a.now()); err != nil {
		a.log.Warn("counting a failed sign-in", "error", err)
	}
}

package account

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"github.com/accountgate/accountgate/account/core"

	"github.com/accountgate/accountgate/account/ratelimit"
)

const rateWindow = time.Hour

// rateKeyFunc builds the key a limited route counts under.
type rateKeyFunc func(r *request) string

// rateRule is one limit of a route: its name (for configuration) and the
// key it counts under.
type rateRule struct {
	name string
	key  rateKeyFunc
}

// limitRate applies a route's limits (facts §3.1): the headers, for the
// rule with the fewest requests left, go out on every answer, and the
// request N+1 of a window gets 429.
func (s *Service) limitRate(w http.ResponseWriter, r *request, rules []rateRule) error {
	keyed := make([]ratelimit.Rule, len(rules))
	for i, rule := range rules {
		keyed[i] = ratelimit.Rule{Name: rule.name, Key: rule.key(r)}
	}
	res, err := ratelimit.Apply(r.Context(), s.limiter, keyed, s.rateLimit, rateWindow, s.now())
	for _, name := range res.Refused {
		s.observeRateLimited(r, name)
	}
	if err != nil || !res.Limited {
		return err
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(res.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(res.Remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(res.Reset.Unix(), 10))
	if len(res.Refused) > 0 {
		return NewError(ErrGeneralRateLimitExceeded)
	}
	return nil
}

// rateLimit is the configured limit of name; 0 means off.
func (s *Service) rateLimit(name string) int {
	if s.cfg.RateLimits.Off {
		return 0
	}
	if n, ok := s.cfg.RateLimits.Limits[name]; ok {
		return n
	}
	return core.DefaultRateLimits()[name]
}

// Key builders, after the templates of facts §3.2. A missing parameter
// stays in the key as its placeholder text, as Appwrite does.
func byIP(r *request) string { return "ip:" + r.ip }

func byParam(name string) rateKeyFunc { return byParamAs(name, nil) }

// byEmail keys by the email as every handler reads it (NormalizeEmail:
// trimmed, lower-cased with Unicode's rules), so that the spellings of
// one address share one counter.
var byEmail = byParamAs("email", core.NormalizeEmail)

// maxKeyValue bounds a parameter's share of a key: longer values (never
// valid ones) are hashed, so a key costs the limiter little memory.
const maxKeyValue = 256

// byParamAs keys by the parameter name after norm (if any).
func byParamAs(name string, norm func(string) string) rateKeyFunc {
	return func(r *request) string {
		v, ok, err := r.params.stringParam(name, "")
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

func byUser(r *request) string {
	if r.principal == nil {
		return "userId:"
	}
	return "userId:" + r.principal.User.ID
}

// signInFailuresExceeded reports whether this IP already failed too many
// sign-ins this hour, across all emails.
func (s *Service) signInFailuresExceeded(r *request) (bool, error) {
	limit := s.rateLimit("signin.failures")
	if limit <= 0 {
		return false, nil
	}
	n, err := s.limiter.Count(r.Context(), "signin.failures|"+byIP(r), rateWindow, s.now())
	return n >= limit, err
}

// countSignInFailure records a failed sign-in of this IP.
func (s *Service) countSignInFailure(r *request) {
	if s.rateLimit("signin.failures") <= 0 {
		return
	}
	if _, _, err := s.limiter.Take(r.Context(), "signin.failures|"+byIP(r), 1<<30, rateWindow, s.now()); err != nil {
		s.log.Warn("counting a failed sign-in", "error", err)
	}
}

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

// RateLimitConfig adjusts a project's limits.
type RateLimitConfig struct {
	// Off switches every limit off (for development and load tests).
	Off bool
	// Limits overrides the requests per hour of the named limits (see
	// DefaultRateLimits); 0 switches that limit off.
	Limits map[string]int
}

// DefaultRateLimits are the documented limits per hour, by name.
func DefaultRateLimits() map[string]int {
	return map[string]int{
		"account.create":      10,
		"sessions.email":      10,
		"sessions.anonymous":  50,
		"jwt.create":          100,
		"sessions.delete":     100,
		"sessions.delete_all": 100,
		"sessions.update":     10,
		"magic_url.create":    10,
		// Not in Appwrite: magic-URL mails per IP across all emails,
		// as for phone codes and recovery.
		"magic_url.create_ip":       10,
		"magic_url.update":          10,
		"phone.create":              10,
		"phone.create_ip":           10,
		"phone.update":              10,
		"recovery.create":           10,
		"recovery.create_ip":        10,
		"recovery.update":           10,
		"verification.create":       10,
		"verification.update":       10,
		"verification_phone.create": 10,
		"verification_phone.update": 10,
		// Token sign-in (today's SDKs): the mails and texts as Appwrite
		// limits them, per address and per IP; the secrets spent per user
		// as the 1.3 confirmations are (six-digit codes must not be
		// guessed from many IPs).
		"magic_url_token.create":    60,
		"magic_url_token.create_ip": 60,
		"email_token.create":        10,
		"email_token.create_ip":     10,
		"phone_token.create":        10,
		"phone_token.create_ip":     10,
		"sessions.token":            10,
		// MFA challenges per user: codes sent, and codes tried.
		"mfa_challenge.create": 10,
		"mfa_challenge.update": 10,
		"oauth2.create":        50,
		"oauth2.callback":      50,
		// Not in Appwrite: failed sign-ins per IP across all emails,
		// against credential stuffing.
		"signin.failures": 100,
	}
}

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
	return DefaultRateLimits()[name]
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

package account

import (
	"context"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/verify"
	"time"
)

// accessedThrottle is how stale a user's accessedAt may get: the API
// writes it at most once per period per user, not on every request.
const accessedThrottle = time.Hour

// noteAccess records that p used the API, when its accessedAt is older
// than accessedThrottle, and returns the principal to serve the request
// with: a copy with the new time when one was written (p is a shared,
// read-only snapshot). A failure only costs the record, never the request.
func (s *Service) noteAccess(ctx context.Context, p *verify.Principal) *verify.Principal {
	now := s.clock()
	if now.Sub(p.User.AccessedAt) < accessedThrottle {
		return p
	}
	if !s.touchUser(ctx, p.User.ID, now) {
		return p
	}
	u := *p.User
	u.AccessedAt = now
	cp := *p
	cp.User = &u
	return &cp
}

// touchUser writes the user's accessedAt (throttled in the store too, so
// instances racing write once) and drops the cached copies that carry the
// old time. It reports whether it wrote.
func (s *Service) touchUser(ctx context.Context, userID string, now time.Time) bool {
	wrote, err := s.store.TouchUser(ctx, userID, now, accessedThrottle)
	if err != nil {
		s.log.Warn("recording user access", "user", userID, "error", err)
		return false
	}
	if wrote {
		s.revoke(ctx, core.Revocation{UserID: userID})
	}
	return wrote
}

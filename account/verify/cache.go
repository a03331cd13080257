package verify

import (
	"sync"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// SessionRef is what a verified caller carries of its session: enough for
// identity, expiry and "current". routes that show a whole session read
// it from the store; keeping the cache to this much is what lets it hold
// 100,000 sessions in little memory.
type SessionRef struct {
	ID       string
	UserID   string
	Provider string
	Expire   time.Time
}

func refOf(s *core.Session) SessionRef {
	return SessionRef{ID: s.ID, UserID: s.UserID, Provider: s.Provider, Expire: s.Expire}
}

// internProvider returns a shared copy of the common provider names.
func internProvider(p string) string {
	switch p {
	case "email":
		return "email"
	case "anonymous":
		return "anonymous"
	case "magic-url":
		return "magic-url"
	case "phone":
		return "phone"
	}
	return p
}

// trimUser drops the password hash and history: no cached copy carries
// them, and routes that change a user read it from the store.
func trimUser(u *core.User) *core.User {
	t := *u
	t.PasswordHash, t.PasswordHistory = "", nil
	return &t
}

// verified is a cache entry: a verified credential's Principal, built once
// and handed out read-only, and when the entry ends.
type verified struct {
	until     time.Time // min(now+TTL, credential expiry)
	ref       SessionRef
	principal Principal
}

// cacheKey is the SHA-256 of a session secret, or jwtCacheKey of a JWT:
// the two kinds never share a key.
type cacheKey = [32]byte

// sessionCache is a bounded in-process cache of verified credentials, so
// the hot path neither hashes a password nor reads the store. Entries live
// a short TTL and are dropped at once when this instance deletes their
// session or changes their user.
type sessionCache struct {
	mu      sync.RWMutex
	max     int
	ttl     time.Duration
	entries map[cacheKey]*verified
	// ByUser lists each user's keys (a handful): it finds what to drop
	// when a user or one of their sessions changes.
	byUser map[string][]cacheKey
}

func newSessionCache(max int, ttl time.Duration) *sessionCache {
	return &sessionCache{max: max, ttl: ttl, entries: make(map[cacheKey]*verified), byUser: make(map[string][]cacheKey)}
}

// get returns a live entry; it allocates nothing.
func (c *sessionCache) get(key cacheKey, now time.Time) *verified {
	if c.max <= 0 {
		return nil
	}
	c.mu.RLock()
	v := c.entries[key]
	c.mu.RUnlock()
	if v == nil || !now.Before(v.until) {
		return nil
	}
	return v
}

// put caches a verified credential until min(now+TTL, expiry) and returns
// its Principal (viaJWT for a JWT).
func (c *sessionCache) put(key cacheKey, s *core.Session, u *core.User, now, expiry time.Time, viaJWT bool) *Principal {
	u = trimUser(u)
	v := &verified{ref: refOf(s)}
	if c.max <= 0 {
		v.principal = Principal{User: u, Session: &v.ref, ViaJWT: viaJWT}
		return &v.principal
	}
	v.until = now.Add(c.ttl)
	if expiry.Before(v.until) {
		v.until = expiry
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[key]; ok {
		c.removeLocked(key, old)
	} else if len(c.entries) >= c.max {
		c.evictLocked(now)
	}
	// A user's sessions share one cached user while it is unchanged.
	for _, k := range c.byUser[u.ID] {
		if o := c.entries[k]; o != nil && o.principal.User.UpdatedAt.Equal(u.UpdatedAt) {
			u = o.principal.User
			break
		}
	}
	// Share the user's id string and the provider name instead of keeping
	// the copies each store read made.
	v.ref.UserID, v.ref.Provider = u.ID, internProvider(v.ref.Provider)
	v.principal = Principal{User: u, Session: &v.ref, ViaJWT: viaJWT}
	c.entries[key] = v
	c.byUser[u.ID] = append(c.byUser[u.ID], key)
	return &v.principal
}

// evictLocked makes room: it drops the expired entries among a bounded
// sample and, failing that, one arbitrary entry (map order is random
// enough for a cache whose entries all die within a TTL anyway). The
// bounded sample keeps a full cache O(1) per insert.
func (c *sessionCache) evictLocked(now time.Time) {
	scanned, dropped := 0, 0
	for k, v := range c.entries {
		if !now.Before(v.until) || dropped == 0 {
			c.removeLocked(k, v)
			dropped++
		}
		if scanned++; scanned >= 64 {
			return
		}
	}
}

func (c *sessionCache) removeLocked(key cacheKey, v *verified) {
	delete(c.entries, key)
	userID := v.principal.User.ID
	keys := c.byUser[userID]
	for i := range keys {
		if keys[i] == key {
			keys[i] = keys[len(keys)-1]
			keys = keys[:len(keys)-1]
			break
		}
	}
	if len(keys) == 0 {
		delete(c.byUser, userID)
	} else {
		c.byUser[userID] = keys
	}
}

// dropSession forgets a session of userID and every JWT issued for it.
// Without a user id (a message from an older instance) it looks at every
// entry.
func (c *sessionCache) dropSession(userID, sessionID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if userID == "" {
		for k, v := range c.entries {
			if v.ref.ID == sessionID {
				c.removeLocked(k, v)
			}
		}
		return
	}
	// removeLocked edits the slice being walked: walk a copy.
	for _, k := range append([]cacheKey(nil), c.byUser[userID]...) {
		if v := c.entries[k]; v != nil && v.ref.ID == sessionID {
			c.removeLocked(k, v)
		}
	}
}

// dropUser forgets every credential of a user, after the user changed.
func (c *sessionCache) dropUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range append([]cacheKey(nil), c.byUser[userID]...) {
		if v := c.entries[k]; v != nil {
			c.removeLocked(k, v)
		}
	}
}

// clear forgets everything.
func (c *sessionCache) clear() {
	c.mu.Lock()
	clear(c.entries)
	clear(c.byUser)
	c.mu.Unlock()
}

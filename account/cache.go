package account

import (
	"sync"
	"time"
)

// verified is what a credential check yields: the session and its user,
// trimmed to what requests read (see trim), and the Principal built from
// them once, handed out read-only.
type verified struct {
	session   *Session
	user      *User
	until     time.Time // the entry's end: min(now+TTL, credential expiry)
	principal Principal
}

// trimSession keeps what a cached session is read for (identity, expiry,
// "current"); routes that show a whole session read it from the store.
func trimSession(s *Session) *Session {
	return &Session{ID: s.ID, UserID: s.UserID, CreatedAt: s.CreatedAt, Expire: s.Expire, Provider: s.Provider, ProviderUID: s.ProviderUID}
}

// trimUser drops the password hash and history: no cached copy carries
// them, and routes that change a user read it from the store.
func trimUser(u *User) *User {
	t := *u
	t.PasswordHash, t.PasswordHistory = "", nil
	return &t
}

// cacheKey is the SHA-256 of a session secret or of a JWT.
type cacheKey = [32]byte

// sessionCache is a bounded in-process cache of verified credentials, so
// the hot path neither hashes a password nor reads the store. Entries live
// a short TTL and are dropped at once when this instance deletes their
// session or changes their user.
type sessionCache struct {
	mu        sync.RWMutex
	max       int
	ttl       time.Duration
	entries   map[cacheKey]*verified
	// The indexes are slices: a user has a handful of sessions, and a
	// map per entry would cost more memory than the entry itself.
	byUser    map[string][]cacheKey
	bySession map[string][]cacheKey
}

func newSessionCache(max int, ttl time.Duration) *sessionCache {
	return &sessionCache{max: max, ttl: ttl,
		entries:   make(map[cacheKey]*verified),
		byUser:    make(map[string][]cacheKey),
		bySession: make(map[string][]cacheKey)}
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
func (c *sessionCache) put(key cacheKey, s *Session, u *User, now, expiry time.Time, viaJWT bool) *Principal {
	s, u = trimSession(s), trimUser(u)
	if c.max <= 0 {
		return &Principal{User: u, Session: s, ViaJWT: viaJWT}
	}
	until := now.Add(c.ttl)
	if expiry.Before(until) {
		until = expiry
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
		if o := c.entries[k]; o != nil && o.user.UpdatedAt.Equal(u.UpdatedAt) {
			u = o.user
			break
		}
	}
	v := &verified{session: s, user: u, until: until, principal: Principal{User: u, Session: s, ViaJWT: viaJWT}}
	c.entries[key] = v
	c.byUser[u.ID] = append(c.byUser[u.ID], key)
	c.bySession[s.ID] = append(c.bySession[s.ID], key)
	return &v.principal
}

func removeIndex(idx map[string][]cacheKey, id string, key cacheKey) {
	keys := idx[id]
	for i := range keys {
		if keys[i] == key {
			keys[i] = keys[len(keys)-1]
			keys = keys[:len(keys)-1]
			break
		}
	}
	if len(keys) == 0 {
		delete(idx, id)
	} else {
		idx[id] = keys
	}
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
	removeIndex(c.byUser, v.user.ID, key)
	removeIndex(c.bySession, v.session.ID, key)
}

func (c *sessionCache) dropIndexed(idx map[string][]cacheKey, id string) {
	c.mu.Lock()
	// removeLocked edits the slice being walked: walk a copy.
	for _, k := range append([]cacheKey(nil), idx[id]...) {
		if v := c.entries[k]; v != nil {
			c.removeLocked(k, v)
		}
	}
	c.mu.Unlock()
}

// dropSession forgets a session and every JWT issued for it.
func (c *sessionCache) dropSession(sessionID string) { c.dropIndexed(c.bySession, sessionID) }

// dropUser forgets every credential of a user, after the user changed.
func (c *sessionCache) dropUser(userID string) { c.dropIndexed(c.byUser, userID) }

// clear forgets everything.
func (c *sessionCache) clear() {
	c.mu.Lock()
	clear(c.entries)
	clear(c.byUser)
	clear(c.bySession)
	c.mu.Unlock()
}

// len is the number of entries, for tests and metrics.
func (c *sessionCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

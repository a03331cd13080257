package account

import (
	"sync"
	"time"
)

// verified is what a credential check yields: the session and its user,
// as read from the store.
type verified struct {
	session *Session
	user    *User
	until   time.Time // the entry's end: min(now+TTL, credential expiry)
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
	byUser    map[string]map[cacheKey]struct{}
	bySession map[string]map[cacheKey]struct{}
}

func newSessionCache(max int, ttl time.Duration) *sessionCache {
	return &sessionCache{max: max, ttl: ttl,
		entries:   make(map[cacheKey]*verified),
		byUser:    make(map[string]map[cacheKey]struct{}),
		bySession: make(map[string]map[cacheKey]struct{})}
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

// put caches a verified credential until min(now+TTL, expiry).
func (c *sessionCache) put(key cacheKey, s *Session, u *User, now, expiry time.Time) {
	if c.max <= 0 {
		return
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
	v := &verified{session: s, user: u, until: until}
	c.entries[key] = v
	addIndex(c.byUser, u.ID, key)
	addIndex(c.bySession, s.ID, key)
}

func addIndex(idx map[string]map[cacheKey]struct{}, id string, key cacheKey) {
	keys := idx[id]
	if keys == nil {
		keys = make(map[cacheKey]struct{})
		idx[id] = keys
	}
	keys[key] = struct{}{}
}

func removeIndex(idx map[string]map[cacheKey]struct{}, id string, key cacheKey) {
	if keys := idx[id]; keys != nil {
		delete(keys, key)
		if len(keys) == 0 {
			delete(idx, id)
		}
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

func (c *sessionCache) dropIndexed(idx map[string]map[cacheKey]struct{}, id string) {
	c.mu.Lock()
	for k := range idx[id] {
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

package account

import (
	"sync"
	"time"
)

// verified is what the gate needs after a session check: the session and
// its user, as read from the store.
type verified struct {
	session *Session
	user    *User
	until   time.Time // cache entry's end: min(now+TTL, session expiry)
}

// sessionCache is a bounded in-process cache of verified sessions, keyed
// by the SHA-256 of the session secret, so the hot path neither hashes a
// password nor reads the store. Entries live a short TTL and are dropped
// at once when this instance deletes the session or changes its user.
type sessionCache struct {
	mu     sync.RWMutex
	max    int
	ttl    time.Duration
	byHash map[[32]byte]*verified
	byUser map[string]map[[32]byte]struct{}
}

func newSessionCache(max int, ttl time.Duration) *sessionCache {
	return &sessionCache{max: max, ttl: ttl,
		byHash: make(map[[32]byte]*verified), byUser: make(map[string]map[[32]byte]struct{})}
}

// get returns a live entry; it allocates nothing.
func (c *sessionCache) get(hash [32]byte, now time.Time) *verified {
	if c.max <= 0 {
		return nil
	}
	c.mu.RLock()
	v := c.byHash[hash]
	c.mu.RUnlock()
	if v == nil || !now.Before(v.until) {
		return nil
	}
	return v
}

func (c *sessionCache) put(hash [32]byte, s *Session, u *User, now time.Time) {
	if c.max <= 0 {
		return
	}
	until := now.Add(c.ttl)
	if s.Expire.Before(until) {
		until = s.Expire
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byHash[hash]; !ok && len(c.byHash) >= c.max {
		c.evictLocked(now)
	}
	c.byHash[hash] = &verified{session: s, user: u, until: until}
	keys := c.byUser[u.ID]
	if keys == nil {
		keys = make(map[[32]byte]struct{})
		c.byUser[u.ID] = keys
	}
	keys[hash] = struct{}{}
}

// evictLocked makes room: it drops expired entries it meets and, failing
// that, one arbitrary entry (map order is random enough for a cache whose
// entries all die within a TTL anyway).
func (c *sessionCache) evictLocked(now time.Time) {
	// Look at a bounded sample so a full cache costs O(1) per insert.
	scanned, dropped := 0, 0
	for h, v := range c.byHash {
		if !now.Before(v.until) || dropped == 0 {
			c.removeLocked(h, v.user.ID)
			dropped++
		}
		if scanned++; scanned >= 64 {
			return
		}
	}
}

func (c *sessionCache) removeLocked(hash [32]byte, userID string) {
	delete(c.byHash, hash)
	if keys := c.byUser[userID]; keys != nil {
		delete(keys, hash)
		if len(keys) == 0 {
			delete(c.byUser, userID)
		}
	}
}

// dropSession forgets one session.
func (c *sessionCache) dropSession(hash [32]byte) {
	c.mu.Lock()
	if v := c.byHash[hash]; v != nil {
		c.removeLocked(hash, v.user.ID)
	}
	c.mu.Unlock()
}

// dropUser forgets every session of a user, after the user changed.
func (c *sessionCache) dropUser(userID string) {
	c.mu.Lock()
	for h := range c.byUser[userID] {
		delete(c.byHash, h)
	}
	delete(c.byUser, userID)
	c.mu.Unlock()
}

// len is the number of entries, for tests and metrics.
func (c *sessionCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.byHash)
}

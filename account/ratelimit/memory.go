package ratelimit

import (
	"context"
	"sync"
	"time"
)

// DefaultMemoryKeys is how many counters a Memory limiter keeps by
// default: about 21 MiB at most, against 187 MiB for a million (see
// BenchmarkMemoryRateLimiter).
const DefaultMemoryKeys = 100_000

// Memory is an exact, in-process Limiter: right for one instance, or as
// the fallback when a shared limiter is unreachable.
//
// It keeps at most a fixed number of counters, so that requests naming
// millions of different emails cannot grow it without bound. Counters
// of past windows go first; beyond that, the counter least recently
// counted or read is evicted. A busy key (the failed sign-ins of an
// attacking IP) is thus the last to go, while a flood of keys seen once
// pushes out only each other. An evicted counter starts again from zero.
type Memory struct {
	mu     sync.Mutex
	max    int
	counts map[memoryKey]*memoryCount
	// head is a sentinel of the list of counters by last use: head.next
	// is the most recent, head.prev the least.
	head  memoryCount
	sweep time.Time
}

type memoryKey struct {
	key   string
	start int64 // window start, unix ms
}

type memoryCount struct {
	key memoryKey
	// drop is when the counter is useless: one window after its own
	// ended, since callers may read the previous window (the OAuth2
	// replay guard does).
	drop       int64 // unix ms
	n          int
	prev, next *memoryCount
}

// NewMemory returns an empty limiter keeping at most maxKeys counters;
// 0 or less means DefaultMemoryKeys.
func NewMemory(maxKeys int) *Memory {
	if maxKeys <= 0 {
		maxKeys = DefaultMemoryKeys
	}
	m := &Memory{max: maxKeys, counts: make(map[memoryKey]*memoryCount)}
	m.head.prev, m.head.next = &m.head, &m.head
	return m
}

// Take implements Limiter.
func (m *Memory) Take(_ context.Context, key string, limit int, window time.Duration, now time.Time) (int, bool, error) {
	start := WindowStart(now, window)
	k := memoryKey{key: key, start: start.UnixMilli()}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweepLocked(now)
	c := m.counts[k]
	if c == nil {
		if limit <= 0 {
			return 0, false, nil
		}
		c = &memoryCount{key: k, drop: start.Add(2 * window).UnixMilli()}
		m.counts[k] = c
		m.linkFront(c)
		m.evictLocked()
	} else {
		m.unlink(c)
		m.linkFront(c)
	}
	n := c.n
	if n >= limit {
		return n, false, nil
	}
	c.n = n + 1
	return n, true, nil
}

// Count implements Limiter.
func (m *Memory) Count(_ context.Context, key string, window time.Duration, now time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.counts[memoryKey{key: key, start: WindowStart(now, window).UnixMilli()}]
	if c == nil {
		return 0, nil
	}
	m.unlink(c)
	m.linkFront(c)
	return c.n, nil
}

// Len is the number of counters kept.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.counts)
}

// MaxKeys is the most counters m keeps.
func (m *Memory) MaxKeys() int { return m.max }

func (m *Memory) linkFront(c *memoryCount) {
	c.prev, c.next = &m.head, m.head.next
	m.head.next.prev = c
	m.head.next = c
}

func (m *Memory) unlink(c *memoryCount) {
	c.prev.next, c.next.prev = c.next, c.prev
	c.prev, c.next = nil, nil
}

// evictLocked drops the least recently used counters beyond the cap.
func (m *Memory) evictLocked() {
	for len(m.counts) > m.max {
		c := m.head.prev
		m.unlink(c)
		delete(m.counts, c.key)
	}
}

// sweepLocked drops the counters no window can read any more, at most
// once a minute.
func (m *Memory) sweepLocked(now time.Time) {
	if now.Sub(m.sweep) < time.Minute && !now.Before(m.sweep) {
		return
	}
	m.sweep = now
	cutoff := now.UnixMilli()
	for k, c := range m.counts {
		if c.drop <= cutoff {
			m.unlink(c)
			delete(m.counts, k)
		}
	}
}

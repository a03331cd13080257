package account

import (
	"context"
	"errors"
	"time"
)

// revoke forgets cached credentials here at once, in the shared cache,
// and on every other instance through the revocation channel. Failures of
// the shared parts are logged: the store change already happened, and
// other instances stop trusting their caches when the channel is down.
func (s *Service) revoke(ctx context.Context, r Revocation) {
	s.applyRevocation(r)
	// With the channel down, Redis calls would only wait for timeouts;
	// other instances do not trust their caches meanwhile, and ignore the
	// shared one for a TTL once it is back (resync).
	if !s.localCacheTrusted() {
		return
	}
	// The request may be cancelled right after the response: the
	// revocation must still go out.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if sc := s.cfg.SharedCache; sc != nil {
		var err error
		if r.SessionID != "" {
			err = sc.DropSession(ctx, r.SessionID)
		} else if r.UserID != "" {
			err = sc.DropUser(ctx, r.UserID)
		}
		if err != nil {
			s.log.Warn("dropping revoked credentials from the shared cache", "error", err)
		}
	}
	if rv := s.cfg.Revocations; rv != nil {
		r.SentAt = s.now().UnixMilli()
		if err := rv.PublishRevocation(ctx, r); err != nil {
			s.log.Warn("publishing a revocation", "error", err)
		}
	}
}

// applyRevocation handles a revocation from any instance.
func (s *Service) applyRevocation(r Revocation) {
	s.observeRevocation(r)
	s.listeners.deliver(r)
	if r.SessionID != "" {
		s.cache.dropSession(r.UserID, r.SessionID)
		return
	}
	if r.UserID != "" {
		s.cache.dropUser(r.UserID)
	}
}

// localCacheTrusted reports whether this instance may use its own cache:
// with several instances, only while revocations are arriving.
func (s *Service) localCacheTrusted() bool {
	return s.cfg.Revocations == nil || s.cfg.Revocations.Healthy()
}

// resync runs when the revocation channel is (re)established: messages
// sent while it was down are lost, so forget everything cached here, and
// ignore the shared cache until every entry written before the outage has
// expired (entries live at most CacheTTL).
func (s *Service) resync() {
	s.log.Info("revocation channel (re)established: local cache cleared")
	s.cache.clear()
	s.listeners.resync()
	s.sharedAfter.Store(s.now().Add(s.cfg.CacheTTL).UnixNano())
}

// lookupVerified finds a verified credential in the local cache, then in
// the shared one (filling the local cache from it), and returns its
// read-only Principal.
func (s *Service) lookupVerified(ctx context.Context, key cacheKey, now time.Time, viaJWT bool) *Principal {
	trusted := s.localCacheTrusted()
	if trusted {
		// Key spaces are apart already (jwtCacheKey); the kind is checked
		// too, so that no entry ever serves the other kind.
		if v := s.cache.get(key, now); v != nil && v.principal.ViaJWT == viaJWT {
			s.observeCache(ctx, "local_hit")
			return &v.principal
		}
	}
	sc := s.cfg.SharedCache
	if sc == nil || !trusted || now.UnixNano() < s.sharedAfter.Load() {
		s.observeCache(ctx, "miss")
		return nil
	}
	sess, user, err := sc.GetVerified(ctx, key)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			s.log.Debug("shared cache unavailable", "error", err)
		}
		s.observeCache(ctx, "miss")
		return nil
	}
	if !now.Before(sess.Expire) {
		s.observeCache(ctx, "miss")
		return nil
	}
	s.observeCache(ctx, "shared_hit")
	return s.cache.put(key, sess, user, now, sess.Expire, viaJWT)
}

// storeVerified caches a credential verified against the store, here and
// in the shared cache, and returns its Principal. Only trimmed records
// are cached: no password hash ever reaches the shared cache.
func (s *Service) storeVerified(ctx context.Context, key cacheKey, sess *Session, user *User, now, expiry time.Time, viaJWT bool) *Principal {
	if !s.localCacheTrusted() {
		ref := refOf(sess)
		return &Principal{User: trimUser(user), Session: &ref, ViaJWT: viaJWT}
	}
	p := s.cache.put(key, sess, user, now, expiry, viaJWT)
	if sc := s.cfg.SharedCache; sc != nil {
		ttl := min(s.cfg.CacheTTL, expiry.Sub(now))
		if ttl > 0 {
			if err := sc.PutVerified(ctx, key, sess, p.User, ttl); err != nil {
				s.log.Debug("shared cache unavailable", "error", err)
			}
		}
	}
	return p
}

package core

import (
	"context"
	"time"
)

// Revocation tells every instance to forget cached credentials: one
// session (SessionID, with its UserID) or, with UserID alone, every
// session of a user; or, with AssertionKeys, the signing keys of identity
// assertions (a rotation).
type Revocation struct {
	SessionID     string `json:"sessionId,omitempty"`
	UserID        string `json:"userId,omitempty"`
	AssertionKeys bool   `json:"assertionKeys,omitempty"`
	// SentAt (unix ms) is when it was published, for the lag metric.
	SentAt int64 `json:"sentAt,omitempty"`
}

// Revocations fans revocations out to every instance sharing a store, so
// a sign-out or a block on one instance holds on all of them.
type Revocations interface {
	// PublishRevocation sends r to every subscribed instance.
	PublishRevocation(ctx context.Context, r Revocation) error
	// SubscribeRevocations calls deliver for every revocation published by
	// any instance until ctx ends. It calls resync each time the
	// subscription is (re)established: revocations sent while it was down
	// are lost, so the caller must forget everything it cached.
	SubscribeRevocations(ctx context.Context, deliver func(Revocation), resync func())
	// Healthy reports whether revocations are being received right now.
	// While they are not, cached credentials must not be trusted.
	Healthy() bool
}

// SharedCache is a verification cache shared by instances (a second level
// behind each instance's own), so a session verified on one instance
// costs the others no store read.
type SharedCache interface {
	// GetVerified returns the cached session and user for key, or
	// ErrNotFound.
	GetVerified(ctx context.Context, key [32]byte) (*Session, *User, error)
	// PutVerified caches the pair for ttl.
	PutVerified(ctx context.Context, key [32]byte, s *Session, u *User, ttl time.Duration) error
	// DropSession forgets every entry of a session.
	DropSession(ctx context.Context, sessionID string) error
	// DropUser forgets every entry of a user.
	DropUser(ctx context.Context, userID string) error
}

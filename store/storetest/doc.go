// Package storetest is the conformance suite for core.Store backends.
// Every backend's tests call Run (or the Run* groups) with an Opener that
// returns a fresh, migrated, empty store, so all backends are held to the
// same contract: round-trips of every field, ErrConflict and ErrNotFound
// where account/core/store.go promises them, transactional rollback, and the
// promises that must hold under concurrency (single-use tokens, tokens
// spent only for their target, user changes under LockUser that lose no
// concurrent update, disjoint outbox claims). The suite uses fixed times at millisecond precision, the
// precision every backend is required to keep.
package storetest

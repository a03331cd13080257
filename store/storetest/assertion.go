package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/assertion"
	"github.com/accountgate/accountgate/account/core"
)

// RunAssertionKeys checks assertion.Store, which every backend's Store
// implements.
func RunAssertionKeys(t *testing.T, open Opener) {
	ctx := context.Background()
	keysOf := func(t *testing.T) assertion.Store {
		ks, ok := open(t).(assertion.Store)
		if !ok {
			t.Fatal("the store does not implement assertion.Store")
		}
		return ks
	}
	key := func(id string, created time.Time) *assertion.Key {
		return &assertion.Key{ID: id, Alg: "ES256", Private: []byte{1, 0, 2, byte(len(id))}, Public: []byte("pub-" + id), CreatedAt: created}
	}
	list := func(t *testing.T, s assertion.Store) []*assertion.Key {
		t.Helper()
		keys, err := s.AssertionKeys(ctx)
		errOf(t, "AssertionKeys", err, nil)
		return keys
	}

	t.Run("FirstThenRotate", func(t *testing.T) {
		s := keysOf(t)
		if keys := list(t, s); len(keys) != 0 {
			t.Fatalf("a new store has %d keys", len(keys))
		}
		k1 := key("k1", at(0))
		errOf(t, "first key", s.AddAssertionKey(ctx, k1, false, time.Time{}), nil)
		errOf(t, "a second first key", s.AddAssertionKey(ctx, key("k1b", at(time.Second)), false, time.Time{}), core.ErrConflict)
		keys := list(t, s)
		if len(keys) != 1 {
			t.Fatalf("keys = %d, want 1", len(keys))
		}
		var d diff
		got := keys[0]
		d.eq("ID", got.ID, "k1")
		d.eq("Alg", got.Alg, "ES256")
		d.bytes("Private", got.Private, k1.Private)
		d.bytes("Public", got.Public, k1.Public)
		d.time("CreatedAt", got.CreatedAt, k1.CreatedAt)
		d.eq("RetiredAt zero", got.RetiredAt.IsZero(), true)
		d.report(t, "first key")

		// A rotation retires k1 at k2's creation and keeps it.
		errOf(t, "rotate to k2", s.AddAssertionKey(ctx, key("k2", at(time.Hour)), true, at(0)), nil)
		keys = list(t, s)
		if len(keys) != 2 || keys[0].ID != "k2" || keys[1].ID != "k1" {
			t.Fatalf("keys after rotation = %v, want k2, k1", ids(keys))
		}
		if !keys[0].RetiredAt.IsZero() || !keys[1].RetiredAt.Equal(at(time.Hour)) {
			t.Errorf("retired = %v, %v; want zero, %v", keys[0].RetiredAt, keys[1].RetiredAt, at(time.Hour))
		}
		// The next one, past k1's overlap, drops k1 and keeps k2.
		errOf(t, "rotate to k3", s.AddAssertionKey(ctx, key("k3", at(3*time.Hour)), true, at(time.Hour+time.Millisecond)), nil)
		keys = list(t, s)
		if len(keys) != 2 || keys[0].ID != "k3" || keys[1].ID != "k2" || !keys[1].RetiredAt.Equal(at(3*time.Hour)) {
			t.Fatalf("keys after second rotation = %v, want k3, k2", ids(keys))
		}
	})

	t.Run("FailedRotationChangesNothing", func(t *testing.T) {
		s := keysOf(t)
		errOf(t, "first key", s.AddAssertionKey(ctx, key("k1", at(0)), false, time.Time{}), nil)
		// A taken id: the insert fails, so k1 must still sign.
		errOf(t, "rotate to a taken id", s.AddAssertionKey(ctx, key("k1", at(time.Hour)), true, at(time.Hour)), core.ErrConflict)
		keys := list(t, s)
		if len(keys) != 1 || !keys[0].RetiredAt.IsZero() {
			t.Fatalf("keys = %v, retired %v; want k1 still signing", ids(keys), keys[0].RetiredAt)
		}
	})

	t.Run("ConcurrentFirstKeys", func(t *testing.T) {
		s := keysOf(t)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() {
				errs[i] = s.AddAssertionKey(ctx, key(string(rune('a'+i)), at(time.Duration(i))), false, time.Time{})
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else {
				errOf(t, "a losing first key", err, core.ErrConflict)
			}
		}
		if keys := list(t, s); ok != 1 || len(keys) != 1 {
			t.Fatalf("%d first keys succeeded, %d stored; want 1", ok, len(keys))
		}
	})

	t.Run("ConcurrentRotations", func(t *testing.T) {
		s := keysOf(t)
		errOf(t, "first key", s.AddAssertionKey(ctx, key("k0", at(0)), false, time.Time{}), nil)
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Go(func() {
				err := s.AddAssertionKey(ctx, key(string(rune('a'+i)), at(time.Minute+time.Duration(i))), true, at(0))
				if err != nil {
					errOf(t, "a losing rotation", err, core.ErrConflict)
				}
			})
		}
		wg.Wait()
		signing := 0
		for _, k := range list(t, s) {
			if k.RetiredAt.IsZero() {
				signing++
			}
		}
		if signing != 1 {
			t.Fatalf("%d signing keys after concurrent rotations, want 1", signing)
		}
	})
}

func ids(keys []*assertion.Key) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.ID)
	}
	return out
}

package core

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func cheapHasher(concurrency int, wait time.Duration) *Hasher {
	return NewHasher(PasswordConfig{Memory: 64, Time: 1, Threads: 1, Concurrency: concurrency, Wait: wait})
}

func TestHashAndVerify(t *testing.T) {
	h := cheapHasher(2, time.Second)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse")
	if err != nil || !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q %v", enc, err)
	}
	if ok, rehash, _ := h.Verify(ctx, "correct horse", enc); !ok || rehash {
		t.Errorf("own hash: ok=%v rehash=%v", ok, rehash)
	}
	if ok, _, _ := h.Verify(ctx, "wrong horse", enc); ok {
		t.Error("wrong password verified")
	}
	if ok, _, _ := h.Verify(ctx, "correct horse", ""); ok {
		t.Error("an account without a password verified")
	}
	// A hash at another cost verifies and asks for a rehash.
	other := cheapHasher(1, time.Second)
	other.cfg.Memory = 128
	old := other.hashNow("correct horse")
	if ok, rehash, _ := h.Verify(ctx, "correct horse", old); !ok || !rehash {
		t.Errorf("other cost: ok=%v rehash=%v", ok, rehash)
	}
	// Imported bcrypt hashes verify too, and are upgraded.
	bc, _ := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if ok, rehash, _ := h.Verify(ctx, "correct horse", string(bc)); !ok || !rehash {
		t.Errorf("bcrypt: ok=%v rehash=%v", ok, rehash)
	}
	for _, bad := range []string{"$argon2id$v=19$m=64,t=1,p=1$$", "$argon2id$v=18$m=64,t=1,p=1$c2FsdA$a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$a2V5a2V5a2V5a2V5a2V5", "plain", "$argon2id$"} {
		if ok, _, err := h.Verify(ctx, "x", bad); ok || err != nil {
			t.Errorf("malformed hash %q: ok=%v err=%v", bad, ok, err)
		}
	}
}

func TestHashConcurrencyBound(t *testing.T) {
	h := cheapHasher(1, 20*time.Millisecond)
	h.slots <- struct{}{} // the only slot is taken
	_, err := h.Hash(context.Background(), "password123")
	var e *Error
	if !errors.As(err, &e) || e.Type != ErrGeneralServerBusy || e.Status() != 503 {
		t.Fatalf("over the bound: %v", err)
	}
	<-h.slots
	if _, err := h.Hash(context.Background(), "password123"); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func BenchmarkHashDefaultCost(b *testing.B) {
	h := NewHasher(PasswordConfig{Concurrency: 1})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		h.Hash(ctx, "correct horse battery staple")
	}
}

// TestDummyHashCostsARealCheck: the dummy has the configured parameters,
// so an unknown email costs a full argon2id check.
func TestDummyHashCostsARealCheck(t *testing.T) {
	h := cheapHasher(1, time.Second)
	variant, m, tc, p, salt, key, err := ParseArgon2(h.dummy)
	if err != nil || variant != "argon2id" || m != 64 || tc != 1 || p != 1 || len(salt) != 16 || len(key) != 32 {
		t.Fatalf("dummy %q: %v", h.dummy, err)
	}
	if ok, _ := VerifyHash("anything", h.dummy); ok {
		t.Fatal("the dummy matched a password")
	}
}

// BenchmarkVerifyRefused measures a refused sign-in's password check at
// the default cost: for an unknown user (the dummy hash), a user with an
// argon2id hash, and users with imported hashes, whose refusal is padded
// to the dummy's cost so that timing tells none of them apart.
func BenchmarkVerifyRefused(b *testing.B) {
	h := NewHasher(PasswordConfig{})
	ctx := context.Background()
	for _, tc := range []struct{ name, encoded string }{
		{"unknown_user", ""},
		{"argon2id", h.hashNow("appwrite")},
		{"md5", "$plain-md5$144fa7eaa4904e8ee120651997f70dcc"},
		{"phpass", "$P$Br387rwferoKN7uwHZqNMu98q3U8RO."},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if ok, _, err := h.Verify(ctx, "wrong-password", tc.encoded); ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

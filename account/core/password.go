package core

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/accountgate/accountgate/account/passhash"
)

// PasswordConfig sets the argon2id cost and how many hashes may run at once.
type PasswordConfig struct {
	// Memory in KiB; default 19456.
	Memory uint32
	// Time is the number of passes; default 2.
	Time uint32
	// Threads is the parallelism; default 1.
	Threads uint8
	// Concurrency bounds the hashes running at once; default the number
	// of CPUs. Each holds Memory KiB, so an unbounded number of concurrent
	// sign-ins would be a memory attack.
	Concurrency int
	// Wait is how long a request waits for a free slot before it gets
	// general_server_busy; default 3s.
	Wait time.Duration
}

func (c *PasswordConfig) SetDefaults() {
	if c.Memory == 0 {
		c.Memory = 19456
	}
	if c.Time == 0 {
		c.Time = 2
	}
	if c.Threads == 0 {
		c.Threads = 1
	}
	if c.Concurrency <= 0 {
		c.Concurrency = runtime.NumCPU()
	}
	if c.Wait <= 0 {
		c.Wait = 3 * time.Second
	}
}

// Hasher hashes and verifies passwords under a concurrency bound.
type Hasher struct {
	cfg   PasswordConfig
	slots chan struct{}
	// attempts counts the requests that asked for a slot: tests use it
	// to prove that refused input never reaches argon2.
	attempts atomic.Int64
	// dummy is a hash of a random password, verified when the user is
	// unknown so that unknown emails cost as much as wrong passwords.
	dummy string
	// OnWait, if set, is told how long a hash waited for a slot.
	OnWait func(wait time.Duration, busy bool)
}

func NewHasher(cfg PasswordConfig) *Hasher {
	cfg.SetDefaults()
	h := &Hasher{cfg: cfg, slots: make(chan struct{}, cfg.Concurrency)}
	// The dummy needs the configured cost, not a real password: random
	// salt and key with those parameters verify at the same cost and never
	// match, and building it spares a 19 MiB hash at start-up.
	salt, key := make([]byte, 16), make([]byte, 32)
	rand.Read(salt)
	rand.Read(key)
	b64 := base64.RawStdEncoding
	h.dummy = fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, cfg.Memory, cfg.Time, cfg.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
	return h
}

var errBusy = NewError(ErrGeneralServerBusy)

// Acquire takes a hashing slot, waiting at most the configured Wait;
// general_server_busy when none frees up. Release gives it back.
func (h *Hasher) Acquire(ctx context.Context) error {
	h.attempts.Add(1)
	select {
	case h.slots <- struct{}{}:
		h.waited(0, false)
		return nil
	default:
	}
	start := time.Now()
	t := time.NewTimer(h.cfg.Wait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		h.waited(time.Since(start), false)
		return nil
	case <-t.C:
		h.waited(time.Since(start), true)
		return errBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) waited(d time.Duration, busy bool) {
	if h.OnWait != nil {
		h.OnWait(d, busy)
	}
}

// Attempts counts the requests that asked for a slot: tests use it to
// prove that refused input never reaches argon2.
func (h *Hasher) Attempts() int64 { return h.attempts.Load() }

// Release gives back a slot taken by Acquire.
func (h *Hasher) Release() { <-h.slots }

// Hash returns the PHC string of password at the configured cost.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.Acquire(ctx); err != nil {
		return "", err
	}
	defer h.Release()
	return h.hashNow(password), nil
}

func (h *Hasher) hashNow(password string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, h.cfg.Time, h.cfg.Memory, h.cfg.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.cfg.Memory, h.cfg.Time, h.cfg.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether password matches encoded, and whether encoded
// should be replaced by a hash at the configured cost. An empty encoded
// (no password) is checked against a dummy hash and never matches, in the
// same time as a real check.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, rehash bool, err error) {
	if err := h.Acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.Release()
	if encoded == "" {
		VerifyHash(password, h.dummy)
		return false, false, nil
	}
	ok, params := VerifyHash(password, encoded)
	if !ok && params != h.currentParams() {
		// An imported hash (md5, sha, a cheap bcrypt…) refuses a wrong
		// password far sooner than argon2 does: pad it to the cost of an
		// unknown user, so timing tells neither apart.
		VerifyHash(password, h.dummy)
	}
	return ok, ok && params != h.currentParams(), nil
}

func (h *Hasher) currentParams() string {
	return fmt.Sprintf("argon2id:m=%d,t=%d,p=%d", h.cfg.Memory, h.cfg.Time, h.cfg.Threads)
}

// VerifyHash checks password against an argon2id, argon2i or bcrypt
// hash, or one of the imported kinds of package passhash. params names
// the algorithm and cost, for the rehash decision.
func VerifyHash(password, encoded string) (ok bool, params string) {
	switch {
	case strings.HasPrefix(encoded, "$argon2"):
		return verifyArgon2(password, encoded)
	case strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"), strings.HasPrefix(encoded, "$2y$"):
		return bcrypt.CompareHashAndPassword([]byte(encoded), []byte(password)) == nil, "bcrypt"
	}
	if ok, known := passhash.Verify(password, encoded); known {
		return ok, "imported"
	}
	return false, ""
}

var errBadHash = errors.New("malformed password hash")

func verifyArgon2(password, encoded string) (bool, string) {
	variant, m, t, p, salt, key, err := ParseArgon2(encoded)
	if err != nil {
		return false, ""
	}
	var got []byte
	if variant == "argon2id" {
		got = argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(key)))
	} else {
		got = argon2.Key([]byte(password), salt, t, m, p, uint32(len(key)))
	}
	return subtle.ConstantTimeCompare(got, key) == 1, fmt.Sprintf("%s:m=%d,t=%d,p=%d", variant, m, t, p)
}

// ParseArgon2 reads $argon2id$v=19$m=..,t=..,p=..$salt$key.
func ParseArgon2(encoded string) (variant string, m, t uint32, p uint8, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || (parts[1] != "argon2id" && parts[1] != "argon2i") {
		return "", 0, 0, 0, nil, nil, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return "", 0, 0, 0, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 4<<20 || t > 64 {
		return "", 0, 0, 0, nil, nil, errBadHash
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return "", 0, 0, 0, nil, nil, errBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return "", 0, 0, 0, nil, nil, errBadHash
	}
	return parts[1], m, t, p, salt, key, nil
}

// HashPassword returns the PHC string of password at cfg's cost, exactly
// as the service stores it: for tools that write users straight into a
// store (seeding, imports).
func HashPassword(cfg PasswordConfig, password string) string {
	cfg.SetDefaults()
	return (&Hasher{cfg: cfg}).hashNow(password)
}

package core

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
)

// NewID returns an Appwrite-style generated id: 20 lowercase hex
// characters, 13 from the time in microseconds (so ids sort by creation) and
// 7 random ones.
func NewID(now time.Time) string {
	var b [20]byte
	sec := uint64(now.Unix())
	usec := uint64(now.Nanosecond() / 1000)
	const digits = "0123456789abcdef"
	for i := 7; i >= 0; i-- {
		b[i] = digits[sec&0xf]
		sec >>= 4
	}
	for i := 12; i >= 8; i-- {
		b[i] = digits[usec&0xf]
		usec >>= 4
	}
	var r [4]byte
	rand.Read(r[:])
	n := binary.BigEndian.Uint32(r[:])
	for i := 19; i >= 13; i-- {
		b[i] = digits[n&0xf]
		n >>= 4
	}
	return string(b[:])
}

// NewSecret returns 256 random bits as 64 hex characters.
func NewSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// HashSecret is how every secret is stored: its SHA-256. Secrets carry 256
// random bits, so a fast hash is enough; what matters is that a leaked
// table gives nothing usable.
func HashSecret(secret string) [32]byte {
	// A stack copy spares the hot path the []byte conversion's allocation.
	var buf [128]byte
	if len(secret) <= len(buf) {
		return sha256.Sum256(buf[:copy(buf[:], secret)])
	}
	return sha256.Sum256([]byte(secret))
}

func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

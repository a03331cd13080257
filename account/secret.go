package account

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/accountgate/accountgate/account/verify"
)

// newID returns an Appwrite-style generated id: 20 lowercase hex
// characters, 13 from the time in microseconds (so ids sort by creation) and
// 7 random ones.
func newID(now time.Time) string {
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

// newSecret returns 256 random bits as 64 hex characters.
func newSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// hashSecret is how every secret is stored (see verify.HashSecret).
func hashSecret(secret string) [32]byte { return verify.HashSecret(secret) }

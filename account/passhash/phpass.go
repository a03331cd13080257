package passhash

import (
	"crypto/md5"
	"crypto/subtle"
	"strings"
)

// phpass portable hashes ($P$ from WordPress, $H$ from phpBB): 2^n rounds
// of MD5 over a salt and the password, written in phpass's own base64
// alphabet. This is a small implementation of phpass's CheckPassword
// portable branch; its tests use published reference hashes.

// itoa64 is phpass's alphabet.
const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// MaxPHPassLog2 bounds the rounds (2^n) of a phpass hash: phpass itself
// allows up to 30, a billion MD5s a sign-in. WordPress writes 8, phpBB 11.
const MaxPHPassLog2 = 20

// phpassLen is the length of a portable hash: "$P$", the rounds
// character, 8 salt characters, and 22 of digest.
const phpassLen = 34

// EncodePHPass checks a phpass portable hash and returns it as stored: as
// it is, since it already names its kind and rounds.
func EncodePHPass(hash string) (string, error) {
	if _, _, ok := parsePHPass(hash); !ok {
		return "", ErrInvalid
	}
	return hash, nil
}

func isPHPass(s string) bool {
	return strings.HasPrefix(s, "$P$") || strings.HasPrefix(s, "$H$")
}

// parsePHPass returns the rounds and salt of a portable hash.
func parsePHPass(hash string) (rounds int, salt string, ok bool) {
	if len(hash) != phpassLen || !isPHPass(hash) {
		return 0, "", false
	}
	n := strings.IndexByte(itoa64, hash[3])
	if n < 7 || n > MaxPHPassLog2 {
		return 0, "", false
	}
	for i := 4; i < phpassLen; i++ {
		if strings.IndexByte(itoa64, hash[i]) < 0 {
			return 0, "", false
		}
	}
	return 1 << n, hash[4:12], true
}

func verifyPHPass(password, hash string) (ok, known bool) {
	rounds, salt, valid := parsePHPass(hash)
	if !valid {
		return false, false
	}
	sum := md5.Sum([]byte(salt + password))
	buf := make([]byte, 0, md5.Size+len(password))
	for range rounds {
		buf = append(append(buf[:0], sum[:]...), password...)
		sum = md5.Sum(buf)
	}
	got := hash[:12] + encode64(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(hash)) == 1, true
}

// encode64 is phpass's encode64: little-endian groups of three bytes, six
// bits a character.
func encode64(in []byte) string {
	var b strings.Builder
	for i := 0; i < len(in); i += 3 {
		v := int(in[i])
		b.WriteByte(itoa64[v&0x3f])
		if i+1 < len(in) {
			v |= int(in[i+1]) << 8
		}
		b.WriteByte(itoa64[(v>>6)&0x3f])
		if i+1 >= len(in) {
			break
		}
		if i+2 < len(in) {
			v |= int(in[i+2]) << 16
		}
		b.WriteByte(itoa64[(v>>12)&0x3f])
		if i+2 >= len(in) {
			break
		}
		b.WriteByte(itoa64[(v>>18)&0x3f])
	}
	return b.String()
}

package passhash

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// Work bounds of scrypt hashes. scrypt holds 128·N·r bytes and costs
// about N·r·p block mixes: Firebase's default (N=2^14, r=8, p=1) is
// 16 MiB and 2^17; these allow four times that memory and eight times
// that work, which bounds one sign-in to well under a second.
const (
	MaxScryptMemory = 64 << 20 // 128·N·r bytes
	MaxScryptWork   = 1 << 20  // N·r·p
	// MaxScryptKeyLen bounds the derived key, in bytes.
	MaxScryptKeyLen = 256
	// minScryptKeyLen refuses keys too short to be worth checking.
	minScryptKeyLen = 16
)

const (
	scryptPrefix   = "$scrypt$"
	firebasePrefix = "$firebase-scrypt$"
)

// scryptParams are a scrypt hash's cost and inputs.
type scryptParams struct {
	n, r, p int
	salt    []byte
	key     []byte
	// Firebase's modified scrypt only: the salt separator and signer key.
	sep, signer []byte
}

func (sp scryptParams) check() error {
	if sp.n < 2 || sp.n&(sp.n-1) != 0 || sp.r < 1 || sp.p < 1 ||
		sp.n > MaxScryptMemory/128/sp.r || sp.n*sp.r > MaxScryptWork/sp.p {
		return ErrInvalid
	}
	return nil
}

// EncodeScrypt encodes Appwrite's scrypt kind: hexKey is the hex scrypt
// key of the password with salt (the salt's bytes as they are), N=cpu,
// r=memory, p=parallel and a key of length bytes.
func EncodeScrypt(hexKey, salt string, cpu, memory, parallel, length int) (string, error) {
	key, err := hex.DecodeString(hexKey)
	if err != nil || length < minScryptKeyLen || length > MaxScryptKeyLen || len(key) != length {
		return "", ErrInvalid
	}
	sp := scryptParams{n: cpu, r: memory, p: parallel, salt: []byte(salt), key: key}
	if err := sp.check(); err != nil {
		return "", err
	}
	return fmt.Sprintf("%sln=%d,r=%d,p=%d$%s$%s", scryptPrefix, log2(sp.n), sp.r, sp.p,
		b64.EncodeToString(sp.salt), b64.EncodeToString(sp.key)), nil
}

// EncodeScryptModified encodes Appwrite's scrypt-modified kind: Firebase's
// modified scrypt at Firebase's default cost (N=2^14, r=8), which is what
// Appwrite checks it with. All four values are base64, as Firebase
// exports them.
func EncodeScryptModified(hash, salt, separator, signerKey string) (string, error) {
	return EncodeFirebaseScrypt(hash, salt, separator, signerKey, 8, 14)
}

// EncodeFirebaseScrypt is EncodeScryptModified with the rounds (r) and
// mem_cost (log2 N) of the Firebase project's hash parameters.
func EncodeFirebaseScrypt(hash, salt, separator, signerKey string, rounds, memCost int) (string, error) {
	var sp scryptParams
	var err error
	if sp.key, err = decodeB64(hash); err != nil || len(sp.key) < minScryptKeyLen || len(sp.key) > MaxScryptKeyLen {
		return "", ErrInvalid
	}
	if sp.salt, err = decodeB64(salt); err != nil {
		return "", ErrInvalid
	}
	if sp.sep, err = decodeB64(separator); err != nil {
		return "", ErrInvalid
	}
	// The hash is the signer key encrypted: as long as it.
	if sp.signer, err = decodeB64(signerKey); err != nil || len(sp.signer) != len(sp.key) {
		return "", ErrInvalid
	}
	if memCost < 1 || memCost > 30 {
		return "", ErrInvalid
	}
	sp.n, sp.r, sp.p = 1<<memCost, rounds, 1
	if err := sp.check(); err != nil {
		return "", err
	}
	return fmt.Sprintf("%sln=%d,r=%d,p=1,sep=%s,key=%s$%s$%s", firebasePrefix, memCost, sp.r,
		b64.EncodeToString(sp.sep), b64.EncodeToString(sp.signer),
		b64.EncodeToString(sp.salt), b64.EncodeToString(sp.key)), nil
}

func log2(n int) int { return bits.Len(uint(n)) - 1 }

// parsePHC reads "$<id>$<k>=<v>,…$<salt>$<key>" after prefix.
func parsePHC(encoded, prefix string) (params map[string]string, salt, key []byte, err error) {
	parts := strings.Split(strings.TrimPrefix(encoded, prefix), "$")
	if len(parts) != 3 {
		return nil, nil, nil, ErrInvalid
	}
	params = map[string]string{}
	for kv := range strings.SplitSeq(parts[0], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if _, dup := params[k]; !ok || dup {
			return nil, nil, nil, ErrInvalid
		}
		params[k] = v
	}
	if salt, err = b64.DecodeString(parts[1]); err != nil {
		return nil, nil, nil, ErrInvalid
	}
	if key, err = b64.DecodeString(parts[2]); err != nil || len(key) < minScryptKeyLen || len(key) > MaxScryptKeyLen {
		return nil, nil, nil, ErrInvalid
	}
	return params, salt, key, nil
}

// smallInt reads a decimal parameter of 1 to 2^30.
func smallInt(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1<<30 || strconv.Itoa(n) != s {
		return 0, ErrInvalid
	}
	return n, nil
}

// costs reads ln, r and p; ln must stay below 31 so that 1<<ln fits.
func costs(params map[string]string) (n, r, p int, err error) {
	ln, err1 := smallInt(params["ln"])
	r, err2 := smallInt(params["r"])
	p, err3 := smallInt(params["p"])
	if err1 != nil || err2 != nil || err3 != nil || ln > 30 {
		return 0, 0, 0, ErrInvalid
	}
	return 1 << ln, r, p, nil
}

func parseScrypt(encoded string) (scryptParams, error) {
	params, salt, key, err := parsePHC(encoded, scryptPrefix)
	if err != nil || len(params) != 3 {
		return scryptParams{}, ErrInvalid
	}
	sp := scryptParams{salt: salt, key: key}
	if sp.n, sp.r, sp.p, err = costs(params); err != nil {
		return scryptParams{}, err
	}
	return sp, sp.check()
}

func verifyScrypt(password, encoded string) (ok, known bool) {
	sp, err := parseScrypt(encoded)
	if err != nil {
		return false, false
	}
	got, err := scrypt.Key([]byte(password), sp.salt, sp.n, sp.r, sp.p, len(sp.key))
	if err != nil {
		return false, false
	}
	return subtle.ConstantTimeCompare(got, sp.key) == 1, true
}

func parseFirebase(encoded string) (scryptParams, error) {
	params, salt, key, err := parsePHC(encoded, firebasePrefix)
	if err != nil || len(params) != 5 {
		return scryptParams{}, ErrInvalid
	}
	sp := scryptParams{salt: salt, key: key}
	if sp.n, sp.r, sp.p, err = costs(params); err != nil || sp.p != 1 {
		return scryptParams{}, ErrInvalid
	}
	if sp.sep, err = b64.DecodeString(params["sep"]); err != nil {
		return scryptParams{}, ErrInvalid
	}
	if sp.signer, err = b64.DecodeString(params["key"]); err != nil || len(sp.signer) != len(sp.key) {
		return scryptParams{}, ErrInvalid
	}
	return sp, sp.check()
}

// verifyFirebase is Firebase's modified scrypt: the first 32 bytes of
// scrypt(password, salt‖separator) are an AES-256 key, and the hash is the
// signer key encrypted with it in CTR mode from a zero IV.
func verifyFirebase(password, encoded string) (ok, known bool) {
	sp, err := parseFirebase(encoded)
	if err != nil {
		return false, false
	}
	salt := append(append([]byte{}, sp.salt...), sp.sep...)
	derived, err := scrypt.Key([]byte(password), salt, sp.n, sp.r, sp.p, 32)
	if err != nil {
		return false, false
	}
	block, err := aes.NewCipher(derived)
	if err != nil {
		return false, false
	}
	got := make([]byte, len(sp.signer))
	cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(got, sp.signer)
	return subtle.ConstantTimeCompare(got, sp.key) == 1, true
}

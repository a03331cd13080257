package passhash

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"strings"
)

// ErrInvalid is returned for a hash or parameters that do not make a hash
// of the kind, or exceed the work bounds.
var ErrInvalid = errors.New("passhash: invalid hash or parameters")

// shaVersions are the digests of Appwrite's sha kind, by Appwrite's
// passwordVersion names.
var shaVersions = map[string]func() hash.Hash{
	"sha1":       sha1.New,
	"sha224":     sha256.New224,
	"sha256":     sha256.New,
	"sha384":     sha512.New384,
	"sha512/224": sha512.New512_224,
	"sha512/256": sha512.New512_256,
	"sha512":     sha512.New,
	"sha3-224":   func() hash.Hash { return sha3.New224() },
	"sha3-256":   func() hash.Hash { return sha3.New256() },
	"sha3-384":   func() hash.Hash { return sha3.New384() },
	"sha3-512":   func() hash.Hash { return sha3.New512() },
}

// SHAVersions lists the passwordVersion values of the sha kind, in
// Appwrite's order.
var SHAVersions = []string{"sha1", "sha224", "sha256", "sha384", "sha512/224", "sha512/256", "sha512",
	"sha3-224", "sha3-256", "sha3-384", "sha3-512"}

// DefaultSHAVersion is the version Appwrite uses when none is given.
const DefaultSHAVersion = "sha3-512"

// plainPrefix starts the unsalted digests' encoding.
const plainPrefix = "$plain-"

// EncodeMD5 encodes the hex MD5 digest of a password (Appwrite md5).
func EncodeMD5(hexDigest string) (string, error) {
	return encodePlain("md5", md5.Size, hexDigest)
}

// EncodeSHA encodes the hex digest of a password made with version, one
// of SHAVersions ("" is DefaultSHAVersion), as Appwrite's sha kind.
func EncodeSHA(version, hexDigest string) (string, error) {
	if version == "" {
		version = DefaultSHAVersion
	}
	h, ok := shaVersions[version]
	if !ok {
		return "", ErrInvalid
	}
	return encodePlain(strings.ReplaceAll(version, "/", "-"), h().Size(), hexDigest)
}

func encodePlain(name string, size int, hexDigest string) (string, error) {
	d, err := hex.DecodeString(hexDigest)
	if err != nil || len(d) != size {
		return "", ErrInvalid
	}
	return plainPrefix + name + "$" + hex.EncodeToString(d), nil
}

// plainDigest returns the digest function of an encoded name.
func plainDigest(name string) func() hash.Hash {
	if name == "md5" {
		return md5.New
	}
	return shaVersions[strings.Replace(name, "sha512-", "sha512/", 1)]
}

// verifyPlain checks "$plain-<name>$<hex>".
func verifyPlain(password, encoded string) (ok, known bool) {
	name, digest, found := strings.Cut(strings.TrimPrefix(encoded, plainPrefix), "$")
	h := plainDigest(name)
	if !found || h == nil {
		return false, false
	}
	want, err := hex.DecodeString(digest)
	d := h()
	if err != nil || len(want) != d.Size() {
		return false, false
	}
	d.Write([]byte(password))
	return subtle.ConstantTimeCompare(d.Sum(nil), want) == 1, true
}

// Verify reports whether password matches encoded, a string of one of
// this package's kinds; known is false when encoded is not one (or is
// malformed), and then ok is false too.
func Verify(password, encoded string) (ok, known bool) {
	switch {
	case strings.HasPrefix(encoded, plainPrefix):
		return verifyPlain(password, encoded)
	case isPHPass(encoded):
		return verifyPHPass(password, encoded)
	case strings.HasPrefix(encoded, scryptPrefix):
		return verifyScrypt(password, encoded)
	case strings.HasPrefix(encoded, firebasePrefix):
		return verifyFirebase(password, encoded)
	}
	return false, false
}

// Valid reports whether encoded is a well-formed string of one of this
// package's kinds, within the work bounds, without hashing anything.
func Valid(encoded string) bool {
	switch {
	case strings.HasPrefix(encoded, plainPrefix):
		name, digest, found := strings.Cut(strings.TrimPrefix(encoded, plainPrefix), "$")
		h := plainDigest(name)
		if !found || h == nil {
			return false
		}
		d, err := hex.DecodeString(digest)
		return err == nil && len(d) == h().Size()
	case isPHPass(encoded):
		_, _, ok := parsePHPass(encoded)
		return ok
	case strings.HasPrefix(encoded, scryptPrefix):
		_, err := parseScrypt(encoded)
		return err == nil
	case strings.HasPrefix(encoded, firebasePrefix):
		_, err := parseFirebase(encoded)
		return err == nil
	}
	return false
}

// b64 is the unpadded standard base64 of the encodings.
var b64 = base64.RawStdEncoding

// decodeB64 reads base64 as exports give it: padded or not.
func decodeB64(s string) ([]byte, error) {
	return b64.DecodeString(strings.TrimRight(s, "="))
}

// Kind names the kind of an encoded hash of this package as Appwrite's
// hash field does (md5, sha, phpass, scrypt, scryptMod), or "" if it is
// none of them.
func Kind(encoded string) string {
	switch {
	case strings.HasPrefix(encoded, "$plain-md5$"):
		return "md5"
	case strings.HasPrefix(encoded, plainPrefix):
		return "sha"
	case isPHPass(encoded):
		return "phpass"
	case strings.HasPrefix(encoded, scryptPrefix):
		return "scrypt"
	case strings.HasPrefix(encoded, firebasePrefix):
		return "scryptMod"
	}
	return ""
}

package core

import (
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/accountgate/accountgate/account/passhash"
)

// maxImportedBcryptCost bounds bcrypt hashes taken in: each sign-in with
// a cost-31 hash would hold a hashing slot for days.
const maxImportedBcryptCost = 16

// CheckBcryptHash reports whether hash is a bcrypt hash sign-in can check:
// $2a$, $2b$ or $2y$, a cost of 4 to maxImportedBcryptCost, then 53
// characters of bcrypt's alphabet (salt and digest). It reads the string
// only, so that imports check a million hashes fast.
func CheckBcryptHash(hash string) bool {
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil || cost > maxImportedBcryptCost || len(hash) != 60 {
		return false
	}
	if p := hash[:4]; p != "$2a$" && p != "$2b$" && p != "$2y$" || hash[6] != '$' {
		return false
	}
	for _, c := range hash[7:] {
		if !(c == '.' || c == '/' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// CheckArgon2Hash reports whether hash is an argon2id or argon2i PHC
// string sign-in can check.
func CheckArgon2Hash(hash string) bool {
	_, _, _, _, _, _, err := ParseArgon2(hash)
	return err == nil
}

// ValidPasswordHash reports whether encoded is a stored password hash
// that sign-in can check: argon2 or bcrypt within their bounds, or one of
// the encodings of package passhash. Tools that write users straight into
// a store (imports) check with it what they write.
func ValidPasswordHash(encoded string) bool {
	return CheckArgon2Hash(encoded) || CheckBcryptHash(encoded) || passhash.Valid(encoded)
}

// PasswordHashKind names the kind of a stored password hash as
// Appwrite's hash field does: argon2, bcrypt, md5, sha, phpass, scrypt or
// scryptMod; "" for no password. It tells operators which users still
// have an imported hash, never the hash itself.
func PasswordHashKind(encoded string) string {
	switch {
	case encoded == "":
		return ""
	case strings.HasPrefix(encoded, "$argon2"):
		return "argon2"
	case strings.HasPrefix(encoded, "$2"):
		return "bcrypt"
	}
	return passhash.Kind(encoded)
}

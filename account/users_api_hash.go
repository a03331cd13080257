package account

import (
	"errors"
	"net/http"

	"golang.org/x/crypto/bcrypt"
)

// Creating users with a password hash from another system (Appwrite's
// POST /v1/users/bcrypt and /v1/users/argon2). The hash is kept as it is;
// the user's first sign-in verifies it and re-hashes the password at the
// configured cost (upgradeHash). Other hash types are not offered: their
// routes stay 404 general_route_not_found.

// maxImportedBcryptCost bounds bcrypt hashes taken in: each sign-in with
// a cost-31 hash would hold a hashing slot for days.
const maxImportedBcryptCost = 16

// checkBcryptHash reports whether hash is a bcrypt hash sign-in can check.
func checkBcryptHash(hash string) bool {
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil || cost > maxImportedBcryptCost {
		return false
	}
	_, params := verifyHash("", hash)
	return params == "bcrypt"
}

// checkArgon2Hash reports whether hash is an argon2id or argon2i PHC
// string sign-in can check.
func checkArgon2Hash(hash string) bool {
	_, _, _, _, _, _, err := parseArgon2(hash)
	return err == nil
}

// usersCreateWithHash answers POST /v1/users/<kind>: check tells whether
// the password parameter is a hash of that kind.
func (s *Service) usersCreateWithHash(check func(string) bool, desc string) func(http.ResponseWriter, *request) error {
	return func(w http.ResponseWriter, r *request) error {
		now := s.clock()
		id, err := r.params.required("userId", descCustomID)
		if err != nil {
			return err
		}
		if id == "unique()" || id == "" {
			id = newID(now)
		} else if !validKey(id) {
			return invalidParam("userId", descCustomID)
		}
		email, err := r.params.required("email", descEmail)
		if err != nil {
			return err
		}
		if email = normalizeEmail(email); !validEmail(email) {
			return invalidParam("email", descEmail)
		}
		hash, err := r.params.required("password", desc)
		if err != nil {
			return err
		}
		if !check(hash) {
			return invalidParam("password", desc)
		}
		name, ok, err := r.params.stringParam("name", descText(128))
		if err != nil {
			return err
		}
		if ok && !validName(name) {
			return invalidParam("name", descText(128))
		}
		u := &User{ID: id, CreatedAt: now, UpdatedAt: now, Registration: now, Status: true,
			Email: email, Name: name, PasswordHash: hash, PasswordUpdate: now}
		if err := s.store.CreateUser(r.Context(), u); err != nil {
			if errors.Is(err, ErrConflict) {
				return NewError(ErrUserAlreadyExists)
			}
			return err
		}
		s.adminAudit(r.Context(), u, "user.create")
		return writeJSON(w, http.StatusCreated, renderAccount(u))
	}
}

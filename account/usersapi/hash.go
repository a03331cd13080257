package usersapi

import (
	"errors"
	"net/http"
	"slices"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/passhash"
)

// Creating users with a password hash from another system (Appwrite's
// POST /v1/users/bcrypt, /argon2, /md5, /sha, /phpass, /scrypt and
// /scrypt-modified). The hash is kept, in the self-describing encoding of
// package passhash for the kinds that need their parameters; the user's
// first sign-in verifies it and re-hashes the password at the configured
// cost (upgradeHash).

// hashReader reads the hash of one kind from the request, with the
// parameters of its kind, and returns what is stored.
type hashReader func(p *httpapi.Params, hash string) (string, error)

// keepHash is the reader of the kinds stored as they come, after check.
func keepHash(check func(string) bool, desc string) hashReader {
	return func(_ *httpapi.Params, hash string) (string, error) {
		if !check(hash) {
			return "", core.InvalidParam("password", desc)
		}
		return hash, nil
	}
}

// encoded turns an encoder's refusal into the password parameter's 400.
func encoded(desc string) func(string, error) (string, error) {
	return func(s string, err error) (string, error) {
		if err != nil {
			return "", core.InvalidParam("password", desc)
		}
		return s, nil
	}
}

func md5Reader(_ *httpapi.Params, hash string) (string, error) {
	return encoded(descMD5Hash)(passhash.EncodeMD5(hash))
}

func shaReader(p *httpapi.Params, hash string) (string, error) {
	version, _, err := p.String("passwordVersion", descShaVersion)
	if err != nil {
		return "", err
	}
	if version != "" && !slices.Contains(passhash.SHAVersions, version) {
		return "", core.InvalidParam("passwordVersion", descShaVersion)
	}
	return encoded(descSHAHash)(passhash.EncodeSHA(version, hash))
}

func phpassReader(_ *httpapi.Params, hash string) (string, error) {
	return encoded(descPHPassHash)(passhash.EncodePHPass(hash))
}

func scryptReader(p *httpapi.Params, hash string) (string, error) {
	salt, err := p.Required("passwordSalt", core.DescText(128))
	if err != nil {
		return "", err
	}
	if len([]rune(salt)) > 128 {
		return "", core.InvalidParam("passwordSalt", core.DescText(128))
	}
	var costs [4]int
	for i, name := range []string{"passwordCpu", "passwordMemory", "passwordParallel", "passwordLength"} {
		if costs[i], err = p.RequiredInt(name); err != nil {
			return "", err
		}
	}
	return encoded(descScryptHash)(passhash.EncodeScrypt(hash, salt, costs[0], costs[1], costs[2], costs[3]))
}

func scryptModifiedReader(p *httpapi.Params, hash string) (string, error) {
	var v [3]string
	for i, name := range []string{"passwordSalt", "passwordSaltSeparator", "passwordSignerKey"} {
		var err error
		if v[i], err = p.Required(name, core.DescText(128)); err != nil {
			return "", err
		}
		if len([]rune(v[i])) > 128 {
			return "", core.InvalidParam(name, core.DescText(128))
		}
	}
	return encoded(descScryptMod)(passhash.EncodeScryptModified(hash, v[0], v[1], v[2]))
}

// usersCreateWithHash answers POST /v1/users/<kind>: read checks the
// password parameter as a hash of that kind and encodes it.
func (s *Users) usersCreateWithHash(read hashReader) func(http.ResponseWriter, *httpapi.Request) error {
	return func(w http.ResponseWriter, r *httpapi.Request) error {
		now := s.Clock()
		id, err := r.Params.CustomID()
		if err != nil {
			return err
		}
		if id == "" {
			id = core.NewID(now)
		}
		email, err := r.Params.Required("email", core.DescEmail)
		if err != nil {
			return err
		}
		if email = core.NormalizeEmail(email); !core.ValidEmail(email) {
			return core.InvalidParam("email", core.DescEmail)
		}
		hash, err := r.Params.Required("password", "Value must be a valid string")
		if err != nil {
			return err
		}
		if hash, err = read(r.Params, hash); err != nil {
			return err
		}
		name, ok, err := r.Params.String("name", core.DescText(128))
		if err != nil {
			return err
		}
		if ok && !core.ValidName(name) {
			return core.InvalidParam("name", core.DescText(128))
		}
		u := &core.User{ID: id, CreatedAt: now, UpdatedAt: now, Registration: now, Status: true,
			Email: email, Name: name, PasswordHash: hash, PasswordUpdate: now}
		if err := s.Store.CreateUser(r.Context(), u); err != nil {
			if errors.Is(err, core.ErrConflict) {
				return core.NewError(core.ErrUserAlreadyExists)
			}
			return err
		}
		s.AdminAudit(r.Context(), u, "user.create")
		return httpapi.WriteJSON(w, http.StatusCreated, httpapi.RenderAccount(u))
	}
}

const (
	descMD5Hash    = "Value must be the hex MD5 digest of the password"
	descSHAHash    = "Value must be the hex digest of the password in the passwordVersion"
	descPHPassHash = "Value must be a phpass portable hash ($P$ or $H$) of 2^7 to 2^20 rounds"
	descScryptHash = "Value must be the hex scrypt key of the password, of passwordLength (16 to 256) bytes, with a power of 2 passwordCpu and at most 64 MiB of memory"
	descScryptMod  = "Value must be the base64 Firebase scrypt hash of the password, as long as the passwordSignerKey"
	descShaVersion = "Value must be one of (sha1, sha224, sha256, sha384, sha512/224, sha512/256, sha512, sha3-224, sha3-256, sha3-384, sha3-512)"
)

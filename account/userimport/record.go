package userimport

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/passhash"
	"github.com/accountgate/accountgate/account/usersapi"
)

// record is one user as the csv and json formats give it. The names are
// the parameters of the Users API's create routes (POST /v1/users/<hash>),
// plus the fields those routes do not take.
type record struct {
	UserID                string          `json:"userId"`
	Email                 string          `json:"email"`
	Phone                 string          `json:"phone"`
	Name                  string          `json:"name"`
	EmailVerification     bool            `json:"emailVerification"`
	PhoneVerification     bool            `json:"phoneVerification"`
	Status                *bool           `json:"status"`
	Prefs                 json.RawMessage `json:"prefs"`
	Labels                []string        `json:"labels"`
	CreatedAt             string          `json:"createdAt"`
	Hash                  string          `json:"hash"`
	Password              string          `json:"password"`
	PasswordSalt          string          `json:"passwordSalt"`
	PasswordSaltSeparator string          `json:"passwordSaltSeparator"`
	PasswordSignerKey     string          `json:"passwordSignerKey"`
	PasswordCPU           int             `json:"passwordCpu"`
	PasswordMemory        int             `json:"passwordMemory"`
	PasswordParallel      int             `json:"passwordParallel"`
	PasswordLength        int             `json:"passwordLength"`
	PasswordVersion       string          `json:"passwordVersion"`
	// Not in the csv and json formats: the Appwrite format's other times,
	// and the scrypt costs of a Firebase project (0 for Appwrite's).
	updatedAt, passwordUpdate, accessedAt string
	rounds, memCost                       int
}

// Kinds are the values of the hash field, Appwrite's route names; the
// Appwrite format's own name of scrypt-modified, scryptMod, is accepted
// too. An empty hash with a password takes a hash that names its kind
// itself (argon2, bcrypt, phpass, or Accountgate's stored encodings).
var Kinds = []string{"argon2", "bcrypt", "md5", "sha", "phpass", "scrypt", "scrypt-modified"}

// passwordHash returns the stored encoding of the record's hash.
func (r *record) passwordHash() (string, error) {
	if r.Password == "" {
		// Appwrite names its default kind for users without a password.
		return "", nil
	}
	var enc string
	var err error
	switch strings.ToLower(r.Hash) {
	case "":
		if !core.ValidPasswordHash(r.Password) {
			return "", errors.New("password is not a hash that names its kind: give the hash column")
		}
		return r.Password, nil
	case "argon2":
		enc, err = r.Password, kindCheck(strings.HasPrefix(r.Password, "$argon2"))
	case "bcrypt":
		enc, err = r.Password, kindCheck(strings.HasPrefix(r.Password, "$2"))
	case "phpass":
		enc, err = passhash.EncodePHPass(r.Password)
	case "md5":
		enc, err = passhash.EncodeMD5(r.Password)
	case "sha":
		enc, err = passhash.EncodeSHA(r.PasswordVersion, r.Password)
	case "scrypt":
		enc, err = passhash.EncodeScrypt(r.Password, r.PasswordSalt, r.PasswordCPU, r.PasswordMemory,
			r.PasswordParallel, r.PasswordLength)
	case "scrypt-modified", "scryptmod":
		if r.rounds != 0 {
			enc, err = passhash.EncodeFirebaseScrypt(r.Password, r.PasswordSalt, r.PasswordSaltSeparator, r.PasswordSignerKey,
				r.rounds, r.memCost)
			break
		}
		enc, err = passhash.EncodeScryptModified(r.Password, r.PasswordSalt, r.PasswordSaltSeparator, r.PasswordSignerKey)
	default:
		return "", fmt.Errorf("unknown hash %q (one of: %s)", r.Hash, strings.Join(Kinds, ", "))
	}
	// CheckImportedUser checks the hash as sign-in reads it.
	if err != nil {
		return "", fmt.Errorf("password is not a valid %s hash with these parameters, or is beyond the work bounds", r.Hash)
	}
	return enc, nil
}

var errKind = errors.New("wrong kind")

func kindCheck(ok bool) error {
	if !ok {
		return errKind
	}
	return nil
}

// user makes the account user of a record, checked by the API's rules.
// Times missing from the record are now.
func (r *record) user(now time.Time) (*core.User, error) {
	if r.UserID == "" {
		return nil, errors.New("userId is required: an import keeps ids, so that it can run again")
	}
	hash, err := r.passwordHash()
	if err != nil {
		return nil, err
	}
	u := &core.User{ID: r.UserID, Email: r.Email, Phone: r.Phone, Name: r.Name,
		EmailVerification: r.EmailVerification, PhoneVerification: r.PhoneVerification,
		Status: r.Status == nil || *r.Status, Prefs: r.Prefs, PasswordHash: hash, Labels: r.Labels}
	times := []struct {
		name, value string
		to          *time.Time
		def         time.Time
	}{
		{"createdAt", r.CreatedAt, &u.CreatedAt, now},
		{"$updatedAt", r.updatedAt, &u.UpdatedAt, time.Time{}},
		{"passwordUpdate", r.passwordUpdate, &u.PasswordUpdate, time.Time{}},
		{"accessedAt", r.accessedAt, &u.AccessedAt, time.Time{}},
	}
	for _, t := range times {
		*t.to = t.def
		if t.value == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339Nano, t.value)
		if err != nil {
			return nil, fmt.Errorf("invalid %s %q: want a date like 2024-05-01T10:00:00.000+00:00", t.name, t.value)
		}
		*t.to = v.UTC()
	}
	u.Registration = u.CreatedAt
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
	if hash != "" && u.PasswordUpdate.IsZero() {
		u.PasswordUpdate = u.CreatedAt
	}
	if err := usersapi.CheckImportedUser(u); err != nil {
		return nil, err
	}
	return u, nil
}

package userimport

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// FirebaseHashConfig is a Firebase project's password hash parameters, as
// its console shows them (Authentication, Users, "Password hash
// parameters"); the users export (`firebase auth:export`) has only each
// user's hash and salt.
type FirebaseHashConfig struct {
	// SignerKey is base64_signer_key.
	SignerKey string
	// SaltSeparator is base64_salt_separator.
	SaltSeparator string
	// Rounds (r) and MemCost (log2 N) are the scrypt costs.
	Rounds, MemCost int
}

// hashConfigField matches one `name: value,` line of the console's text.
var hashConfigField = regexp.MustCompile(`(?m)^\s*(algorithm|base64_signer_key|base64_salt_separator|rounds|mem_cost)\s*:\s*"?([^",\s]+)"?\s*,?\s*$`)

// ParseFirebaseHashConfig reads the hash parameters as the Firebase
// console shows them:
//
//	hash_config {
//	  algorithm: SCRYPT,
//	  base64_signer_key: jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==,
//	  base64_salt_separator: Bw==,
//	  rounds: 8,
//	  mem_cost: 14,
//	}
func ParseFirebaseHashConfig(text []byte) (*FirebaseHashConfig, error) {
	fields := map[string]string{}
	for _, m := range hashConfigField.FindAllSubmatch(text, -1) {
		fields[string(m[1])] = string(m[2])
	}
	if a := fields["algorithm"]; a != "" && a != "SCRYPT" {
		return nil, fmt.Errorf("hash config: algorithm %s: only Firebase's SCRYPT is supported", a)
	}
	c := &FirebaseHashConfig{SignerKey: fields["base64_signer_key"], SaltSeparator: fields["base64_salt_separator"]}
	if c.SignerKey == "" {
		return nil, fmt.Errorf("hash config: no base64_signer_key")
	}
	var err error
	if c.Rounds, err = strconv.Atoi(fields["rounds"]); err != nil {
		return nil, fmt.Errorf("hash config: rounds %q is not a number", fields["rounds"])
	}
	if c.MemCost, err = strconv.Atoi(fields["mem_cost"]); err != nil {
		return nil, fmt.Errorf("hash config: mem_cost %q is not a number", fields["mem_cost"])
	}
	return c, nil
}

// firebaseUser is a user of a Firebase users export.
type firebaseUser struct {
	LocalID       string `json:"localId"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"emailVerified"`
	PasswordHash  string `json:"passwordHash"`
	Salt          string `json:"salt"`
	DisplayName   string `json:"displayName"`
	PhoneNumber   string `json:"phoneNumber"`
	// CreatedAt is in Unix milliseconds, as a string.
	CreatedAt string `json:"createdAt"`
	Disabled  bool   `json:"disabled"`
}

// decodeRow reads one user of a Firebase export, whose hash is Firebase's
// modified scrypt with the project's parameters c.
func (c *FirebaseHashConfig) decodeRow(raw json.RawMessage) (*record, error) {
	var u firebaseUser
	if err := json.Unmarshal(raw, &u); err != nil {
		return nil, rowError(err)
	}
	active := !u.Disabled
	rec := &record{UserID: u.LocalID, Email: u.Email, EmailVerification: u.EmailVerified, Name: u.DisplayName,
		Phone: u.PhoneNumber, Status: &active, Password: u.PasswordHash}
	if u.PasswordHash != "" {
		rec.Hash, rec.PasswordSalt = "scrypt-modified", u.Salt
		rec.PasswordSaltSeparator, rec.PasswordSignerKey = c.SaltSeparator, c.SignerKey
		rec.rounds, rec.memCost = c.Rounds, c.MemCost
	}
	if u.CreatedAt != "" {
		ms, err := strconv.ParseInt(u.CreatedAt, 10, 64)
		if err != nil || ms <= 0 {
			return nil, fmt.Errorf("invalid createdAt %q: want Unix milliseconds", u.CreatedAt)
		}
		rec.CreatedAt = time.UnixMilli(ms).UTC().Format(time.RFC3339Nano)
	}
	return rec, nil
}

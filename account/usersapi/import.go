package usersapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/accountgate/accountgate/account/core"
)

// CheckImportedUser applies the API's rules to a user read from an import
// file, for tools that write users straight into a store: the id follows
// the custom-id rules, the email is lowercased and valid, the phone is
// E.164, the name is a valid name, prefs are a JSON object within
// Appwrite's size (compacted), labels follow Appwrite's rules (repeats
// dropped), and the password hash is one sign-in can
// check (ValidPasswordHash). The error says what is wrong, in the API's
// words.
func CheckImportedUser(u *core.User) error {
	if !core.ValidKey(u.ID) {
		return fmt.Errorf("invalid userId %q: %s", u.ID, core.DescCustomID)
	}
	if u.Email != "" {
		if u.Email = core.NormalizeEmail(u.Email); !core.ValidEmail(u.Email) {
			return fmt.Errorf("invalid email %q: %s", u.Email, core.DescEmail)
		}
	}
	if u.Phone != "" && !core.PhonePattern.MatchString(u.Phone) {
		return fmt.Errorf("invalid phone %q: %s", u.Phone, core.DescPhone)
	}
	if u.Name != "" && !core.ValidName(u.Name) {
		return fmt.Errorf("invalid name: %s", core.DescText(128))
	}
	if raw := bytes.TrimSpace(u.Prefs); len(raw) > 0 {
		var compact bytes.Buffer
		if raw[0] != '{' || json.Compact(&compact, raw) != nil || core.AppwriteJSONLen(compact.Bytes()) > core.MaxPrefsBytes {
			return fmt.Errorf("invalid prefs: %s", core.DescPrefs)
		}
		u.Prefs = compact.Bytes()
	}
	labels, err := core.CheckLabels(u.Labels)
	if err != nil {
		return fmt.Errorf("invalid labels: %s", core.DescLabels)
	}
	u.Labels = labels
	if u.PasswordHash != "" && !core.ValidPasswordHash(u.PasswordHash) {
		return errors.New("invalid password hash: not a hash of its kind, or beyond the work bounds")
	}
	return nil
}

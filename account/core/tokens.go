package core

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"math/big"
	"time"
)

// A token proves control of the address it was sent to, nothing more: it
// records that address (as a hash) and is accepted only while its user
// still has it, checked in the transaction that spends it. Changing the
// address, or the password, also deletes the user's outstanding tokens
// that depended on it, so a link sent before the change never works after
// it, not even once the old address is back.

// NewCode returns six uniformly random decimal digits, for SMS.
func NewCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// Token kinds by what they depend on.
var (
	EmailTokens    = []TokenType{TokenVerification, TokenRecovery, TokenMagicURL, TokenEmailCode}
	PhoneTokens    = []TokenType{TokenPhoneVerification, TokenPhoneSession}
	PasswordTokens = []TokenType{TokenRecovery}
)

// IsCode reports whether tokens of typ carry a short code (six digits,
// or a server-made token of as few as 4 characters).
func IsCode(typ TokenType) bool {
	return typ == TokenPhoneSession || typ == TokenPhoneVerification || typ == TokenEmailCode || typ == TokenGeneric
}

// TokenHash is how the secret of a token of typ for userID is stored.
// Six-digit codes are few: hashed alone, two users holding the same code
// at once would clash on the store's unique secret hash and the second
// request would fail, so a code is hashed with its user's id (and type,
// so one user's email and phone codes never clash either). Long random
// secrets are unique on their own.
func TokenHash(userID string, typ TokenType, secret string) []byte {
	if IsCode(typ) {
		h := sha256.Sum256(fmt.Appendf(nil, "%d\x00%s\x00%s", typ, userID, secret))
		return h[:]
	}
	h := HashSecret(secret)
	return h[:]
}

// TokenTarget is the address of u that a token of typ proves: the phone
// for SMS codes, the email for links.
func TokenTarget(u *User, typ TokenType) string {
	if typ == TokenPhoneSession || typ == TokenPhoneVerification {
		return u.Phone
	}
	return u.Email
}

// RevokeVoidTokens deletes the tokens of the user that a change from before to
// after makes void.
func RevokeVoidTokens(ctx context.Context, tx Store, before, after *User) error {
	var kinds []TokenType
	if before.Email != after.Email {
		kinds = append(kinds, EmailTokens...)
	}
	if before.Phone != after.Phone {
		kinds = append(kinds, PhoneTokens...)
	}
	if before.PasswordHash != after.PasswordHash {
		kinds = append(kinds, PasswordTokens...)
	}
	if len(kinds) == 0 {
		return nil
	}
	_, err := tx.DeleteUserTokens(ctx, after.ID, kinds...)
	return err
}

// GenericTokenTarget is the target of a server-made token: its user.
func GenericTokenTarget(userID string) []byte { return TargetHash("user:" + userID) }

// Token lifetimes (part A items 2, 3).
const (
	MagicURLLifetime          = time.Hour
	PhoneSessionLifetime      = 15 * time.Minute
	RecoveryLifetime          = time.Hour
	VerificationLifetime      = 7 * 24 * time.Hour
	PhoneVerificationLifetime = 15 * time.Minute
)

// EmailCodeLifetime is how long an email sign-in code works (Appwrite's
// TOKEN_EXPIRATION_OTP).
const EmailCodeLifetime = 15 * time.Minute

// OAuth2TokenTarget is the target of an OAuth2 token: the identity it
// signs in with, so that unlinking the identity voids the token.
func OAuth2TokenTarget(identityID string) []byte { return TargetHash("identity:" + identityID) }

// OAuth2TokenLifetime is how long the secret of an OAuth2 token flow
// works. Appwrite gives it a session's lifetime; a secret that travels in
// a URL (history, logs, referrers) lives here only as long as an email
// code: the app spends it at once.
const OAuth2TokenLifetime = 15 * time.Minute

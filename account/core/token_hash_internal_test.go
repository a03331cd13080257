package core

import (
	"bytes"
	"testing"
)

// TestCodeHashesAreBoundToTheUser: stores keep secret hashes unique, so
// two users holding the same six-digit code at once must not store the
// same hash (the second request would fail on the clash). Long secrets
// are unique on their own and keep their plain hash.
func TestCodeHashesAreBoundToTheUser(t *testing.T) {
	for _, typ := range []TokenType{TokenPhoneSession, TokenPhoneVerification, TokenEmailCode} {
		a, b := TokenHash("u1", typ, "123456"), TokenHash("u2", typ, "123456")
		if bytes.Equal(a, b) {
			t.Errorf("type %d: one code gives two users the same hash", typ)
		}
		if !bytes.Equal(a, TokenHash("u1", typ, "123456")) {
			t.Errorf("type %d: the hash is not stable", typ)
		}
		// The separator keeps (id, code) pairs apart.
		if bytes.Equal(TokenHash("u1", typ, "123456"), TokenHash("u11", typ, "23456")) {
			t.Errorf("type %d: ambiguous join of id and code", typ)
		}
	}
	// One user's email and phone codes may be the same digits.
	if bytes.Equal(TokenHash("u1", TokenEmailCode, "123456"), TokenHash("u1", TokenPhoneSession, "123456")) {
		t.Error("one user's email and phone codes clash")
	}
	for _, typ := range []TokenType{TokenMagicURL, TokenRecovery, TokenVerification, TokenOAuth2} {
		plain := HashSecret("long-secret")
		if !bytes.Equal(TokenHash("u1", typ, "long-secret"), plain[:]) || !bytes.Equal(TokenHash("u2", typ, "long-secret"), plain[:]) {
			t.Errorf("type %d: a long secret's hash depends on the user", typ)
		}
	}
}

package seal_test

import (
	"bytes"
	"testing"

	"github.com/accountgate/accountgate/account/seal"
)

var (
	current  = bytes.Repeat([]byte{1}, 32)
	previous = bytes.Repeat([]byte{2}, 32)
)

// TestRoundTripAndRotation: what one secret sealed opens after a rotation
// (the old secret kept as a previous one), but not under another purpose,
// another project's secret, or after tampering.
func TestRoundTripAndRotation(t *testing.T) {
	old := seal.New("outbox v1", previous)
	sealed := old.Seal([]byte("a secret link"))
	if bytes.Contains(sealed, []byte("secret")) {
		t.Fatal("plain text in the sealed bytes")
	}
	if again := old.Seal([]byte("a secret link")); bytes.Equal(again, sealed) {
		t.Fatal("two seals of one text are equal: the nonce is not fresh")
	}
	rotated := seal.New("outbox v1", current, previous)
	if plain, err := rotated.Open(sealed); err != nil || string(plain) != "a secret link" {
		t.Fatalf("after rotation: %q %v", plain, err)
	}
	if plain, err := rotated.Open(rotated.Seal([]byte("new"))); err != nil || string(plain) != "new" {
		t.Fatalf("current key: %q %v", plain, err)
	}
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	for name, tc := range map[string]struct {
		s  *seal.Sealer
		in []byte
	}{
		"other purpose": {seal.New("totp secrets v1", previous), sealed},
		"other secret":  {seal.New("outbox v1", current), sealed},
		"tampered":      {rotated, tampered},
		"too short":     {rotated, sealed[:3]},
		"empty":         {rotated, nil},
	} {
		if plain, err := tc.s.Open(tc.in); err == nil || plain != nil {
			t.Errorf("%s: opened to %q", name, plain)
		}
	}
}

package usersapi

import (
	"strings"
	"testing"
)

// TestNewTokenText: the asked length, only the alphabet's characters, and
// every character drawn (a skewed or stuck draw would miss some).
func TestNewTokenText(t *testing.T) {
	seen := map[rune]bool{}
	for n := genericTokenMinLength; n <= genericTokenMaxLength; n++ {
		s := newTokenText(n)
		if len(s) != n {
			t.Fatalf("length %d: got %d", n, len(s))
		}
		for _, c := range s {
			if !strings.ContainsRune(tokenAlphabet, c) {
				t.Fatalf("%q is not in the alphabet", c)
			}
			seen[c] = true
		}
	}
	if len(seen) != len(tokenAlphabet) {
		t.Fatalf("%d of %d characters ever drawn", len(seen), len(tokenAlphabet))
	}
}

package core

import (
	"crypto/rand"
	"math/big"
)

// Security phrases are two words the sign-in page and the mail both show:
// a user who sees different words knows the mail was asked for by someone
// else. They are a visual check, not a secret, so a small vocabulary is
// enough; the words are still drawn with crypto/rand so they can't be
// guessed ahead of the request.
var (
	phraseAdjectives = []string{
		"Amber", "Brave", "Calm", "Clever", "Cosy", "Curious", "Daring", "Eager",
		"Fancy", "Gentle", "Golden", "Happy", "Humble", "Jolly", "Kind", "Lively",
		"Lucky", "Merry", "Mighty", "Noble", "Polite", "Proud", "Quick", "Quiet",
		"Rapid", "Shiny", "Silver", "Steady", "Swift", "Tidy", "Witty", "Zesty",
	}
	phraseNouns = []string{
		"Badger", "Beaver", "Bison", "Comet", "Condor", "Dolphin", "Falcon", "Ferret",
		"Gecko", "Heron", "Ibis", "Jaguar", "Koala", "Lemur", "Lynx", "Marmot",
		"Meadow", "Otter", "Panda", "Pebble", "Puffin", "Raven", "River", "Robin",
		"Salmon", "Sparrow", "Spruce", "Tiger", "Tulip", "Walrus", "Willow", "Wombat",
	}
)

// NewPhrase returns a fresh security phrase such as "Brave Otter".
func NewPhrase() string {
	return pick(phraseAdjectives) + " " + pick(phraseNouns)
}

func pick(words []string) string {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(words))))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return words[n.Int64()]
}

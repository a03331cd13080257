package account

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
)

// sealer encrypts data at rest (outbox bodies, provider tokens) with
// AES-256-GCM under keys derived from the project secrets: it seals with
// the current one and opens with any, so a secret can be rotated.
type sealer struct {
	aeads []cipher.AEAD
}

// newSealer derives one key per secret for purpose, current secret first.
func newSealer(purpose string, secrets ...[]byte) *sealer {
	s := &sealer{}
	for _, secret := range secrets {
		if len(secret) == 0 {
			continue
		}
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte("accountgate " + purpose))
		block, err := aes.NewCipher(mac.Sum(nil))
		if err != nil {
			panic(err) // a 32-byte key always makes a cipher
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			panic(err)
		}
		s.aeads = append(s.aeads, aead)
	}
	return s
}

// seal returns nonce || ciphertext.
func (s *sealer) seal(plain []byte) []byte {
	aead := s.aeads[0]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, plain, nil)
}

var errUnseal = errors.New("cannot decrypt: no key of this project opens it")

// open decrypts what seal returned, with whichever key sealed it.
func (s *sealer) open(sealed []byte) ([]byte, error) {
	for _, aead := range s.aeads {
		n := aead.NonceSize()
		if len(sealed) < n {
			return nil, errUnseal
		}
		if plain, err := aead.Open(nil, sealed[:n], sealed[n:], nil); err == nil {
			return plain, nil
		}
	}
	return nil, errUnseal
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func base64StdDecode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

// Sealer encrypts data at rest for a feature package, with a key of its
// own purpose derived from the project secrets (the previous ones still
// open what they sealed).
type Sealer struct{ s *sealer }

// Sealer returns the project's sealer for purpose, e.g. "assertion keys
// v1"; each purpose has its own key.
func (s *Service) Sealer(purpose string) Sealer {
	return Sealer{newSealer(purpose, append([][]byte{s.secret}, s.cfg.PreviousSecrets...)...)}
}

// Seal returns nonce || ciphertext of plain.
func (x Sealer) Seal(plain []byte) []byte { return x.s.seal(plain) }

// Open decrypts what Seal returned, under the current or a previous
// project secret.
func (x Sealer) Open(sealed []byte) ([]byte, error) { return x.s.open(sealed) }

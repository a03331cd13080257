// Package seal encrypts data at rest (outbox bodies, provider tokens, TOTP
// secrets) under keys derived from a project's secrets.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
)

// Sealer encrypts with AES-256-GCM under keys derived from the project
// secrets: it seals with the current one and opens with any, so a secret
// can be rotated.
type Sealer struct {
	aeads []cipher.AEAD
}

// New derives one key per secret for purpose, current secret first.
func New(purpose string, secrets ...[]byte) *Sealer {
	s := &Sealer{}
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

// Seal returns nonce || ciphertext.
func (s *Sealer) Seal(plain []byte) []byte {
	aead := s.aeads[0]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, plain, nil)
}

var errUnseal = errors.New("cannot decrypt: no key of this project opens it")

// Open decrypts what Seal returned, with whichever key sealed it.
func (s *Sealer) Open(sealed []byte) ([]byte, error) {
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

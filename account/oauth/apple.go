package oauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Apple's client secret: an ES256 JWT with iss = team id, sub = client id
// (the Services ID), aud = https://appleid.apple.com, kid = key id, and an
// exp at most six months after iat.
// https://developer.apple.com/documentation/accountorganizationaldatasharing/creating-a-client-secret
const (
	appleAudience = "https://appleid.apple.com"
	// appleSecretTTL is how long a generated secret is valid (Apple allows
	// up to 15777000 s, six months); it is re-made when half of it is left.
	appleSecretTTL = time.Hour
)

type appleSigner struct {
	teamID, keyID, clientID string
	key                     *ecdsa.PrivateKey

	mu     sync.Mutex
	cached string
	exp    time.Time
}

func newAppleSigner(s Settings) (*appleSigner, error) {
	if s.TeamID == "" || s.KeyID == "" {
		return nil, errors.New("team id and key id are required with a private key")
	}
	key, err := parseP256Key(s.PrivateKeyPEM)
	if err != nil {
		return nil, err
	}
	return &appleSigner{teamID: s.TeamID, keyID: s.KeyID, clientID: s.ClientID, key: key}, nil
}

// parseP256Key reads a PKCS#8 ("PRIVATE KEY", Apple's .p8) or SEC 1
// ("EC PRIVATE KEY") P-256 key.
func parseP256Key(pemText string) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(pemText)))
	if block == nil {
		return nil, errors.New("private key: no PEM block")
	}
	var key *ecdsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		ec, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, errors.New("private key: not an EC key")
		}
		key = ec
	} else if ec, err2 := x509.ParseECPrivateKey(block.Bytes); err2 == nil {
		key = ec
	} else {
		return nil, errors.New("private key: " + err.Error())
	}
	if key.Curve != elliptic.P256() {
		return nil, errors.New("private key: not a P-256 key")
	}
	return key, nil
}

// secret returns a cached client-secret JWT, making a new one when less
// than half of its lifetime is left.
func (a *appleSigner) secret(now time.Time) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cached != "" && now.Add(appleSecretTTL/2).Before(a.exp) {
		return a.cached, nil
	}
	exp := now.Add(appleSecretTTL)
	t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.RegisteredClaims{
		Issuer:    a.teamID,
		Subject:   a.clientID,
		Audience:  jwt.ClaimStrings{appleAudience},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(exp),
	})
	t.Header["kid"] = a.keyID
	s, err := t.SignedString(a.key)
	if err != nil {
		return "", err
	}
	a.cached, a.exp = s, exp
	return s, nil
}

// WithAppleUser passes the "user" form field of Apple's first callback
// (JSON {"name":{"firstName":…,"lastName":…},"email":…}); Apple sends the
// user's name only there, never in the ID token. The name fills
// Identity.Name when the ID token has none. The email in it is unsigned and
// ignored (the ID token's email is used). Malformed JSON is ignored.
func WithAppleUser(userJSON string) ExchangeOption {
	return func(o *exchangeOptions) {
		var u struct {
			Name struct {
				FirstName string `json:"firstName"`
				LastName  string `json:"lastName"`
			} `json:"name"`
		}
		if userJSON == "" || json.Unmarshal([]byte(userJSON), &u) != nil {
			return
		}
		o.appleName = joinName(u.Name.FirstName, u.Name.LastName)
	}
}

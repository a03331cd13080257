// Package assertion signs identity assertions: short-lived ES256 JWTs
// that a gate hands its upstream in X-Account-Assertion, so that an
// upstream which trusts no proxy header can verify who is calling against
// the project's public keys (a JWKS document), without sharing a secret.
//
// Keys are generated per project and kept in the store, the private half
// sealed with the project secret. One key signs; a rotation makes a new
// key the signing one and keeps the previous one in the JWKS for Overlap,
// so assertions signed just before the rotation (and by instances that
// have not reloaded yet) still verify; then it is dropped.
package assertion

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
)

const (
	// Alg is the JWS algorithm of every key.
	Alg = "ES256"
	// JWKSPath is where account_api serves the project's public keys.
	JWKSPath = "/.well-known/jwks.json"
	// Overlap is how long a retired key stays in the JWKS. It covers the
	// longest assertion lifetime (MaxLifetime), the time other instances
	// take to notice a rotation (ReloadEvery without a shared cache) and
	// the JWKS caching of verifiers (jwksMaxAge), with a wide margin.
	Overlap = time.Hour
	// ReloadEvery is how often the keys are read again from the store, so
	// an instance that missed a rotation broadcast (or has no shared
	// cache) signs with the new key within this time, and drops keys past
	// their overlap.
	ReloadEvery = time.Minute
	// jwksMaxAge is how long verifiers may cache the JWKS document.
	jwksMaxAge = 5 * time.Minute
)

// Key is one signing key as the store keeps it.
type Key struct {
	// ID is the key's kid: a hash of its public key.
	ID  string
	Alg string
	// Private is the PKCS #8 private key sealed with the project's
	// sealer (purpose "assertion keys v1").
	Private []byte
	// Public is the PKIX public key.
	Public    []byte
	CreatedAt time.Time
	// RetiredAt is when a rotation replaced the key; zero while it is the
	// signing key.
	RetiredAt time.Time
}

// Store persists a project's keys; store/sqlite and store/postgres
// implement it.
type Store interface {
	// AssertionKeys returns every stored key, newest first.
	AssertionKeys(ctx context.Context) ([]*Key, error)
	// AddAssertionKey stores k (RetiredAt zero) as the signing key. With
	// rotate false it fails with core.ErrConflict when there is a
	// signing key already. With rotate true it first retires the signing
	// key at k.CreatedAt, and deletes the keys retired before dropBefore;
	// all or nothing. Of two concurrent calls at most one succeeds, the
	// other gets core.ErrConflict.
	AddAssertionKey(ctx context.Context, k *Key, rotate bool, dropBefore time.Time) error
}

// Sealer seals private keys at rest (account.Service.Sealer).
type Sealer interface {
	Seal(plain []byte) []byte
	Open(sealed []byte) ([]byte, error)
}

// SealPurpose names the project sealer's key for private keys.
const SealPurpose = "assertion keys v1"

// Config is what a project's Keys need.
type Config struct {
	Store  Store
	Sealer Sealer
	// Now is the clock; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Keys holds a project's keys in memory: the signing key and the JWKS
// document. It is safe for concurrent use; Start must be called before
// use.
type Keys struct {
	cfg   Config
	mu    sync.Mutex // serialises loads
	state atomic.Pointer[keyState]
}

// keyState is one loaded key set, replaced whole on every change.
type keyState struct {
	kid    string
	signer *ecdsa.PrivateKey
	jwks   []byte
	etag   string
	kids   []string // in the JWKS, newest first
}

// NewKeys returns an empty key set; Start loads it.
func NewKeys() *Keys { return &Keys{} }

// Load loads the keys as they are: none if the project has none yet.
func (k *Keys) Load(ctx context.Context, cfg Config) error {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	k.cfg = cfg
	return k.Reload(ctx)
}

// Start loads the keys, creating the first one if the project has none.
func (k *Keys) Start(ctx context.Context, cfg Config) error {
	if err := k.Load(ctx, cfg); err != nil {
		return err
	}
	if k.state.Load() != nil {
		return nil
	}
	key, err := k.newKey()
	if err != nil {
		return err
	}
	// Another instance may create the first key at the same time: then
	// its key is the one.
	if err := cfg.Store.AddAssertionKey(ctx, key, false, time.Time{}); err != nil && !errors.Is(err, core.ErrConflict) {
		return fmt.Errorf("storing the first assertion key: %w", err)
	}
	if err := k.Reload(ctx); err != nil {
		return err
	}
	if k.state.Load() == nil {
		return errors.New("no assertion signing key after creating one")
	}
	return nil
}

// Rotate makes a new key the signing key here and in the store (the
// first one, if there was none), and deletes the keys whose overlap has
// ended. Other instances pick it up
// when told (core.Revocation.AssertionKeys) or within ReloadEvery.
func (k *Keys) Rotate(ctx context.Context) (kid string, err error) {
	key, err := k.newKey()
	if err != nil {
		return "", err
	}
	if err := k.cfg.Store.AddAssertionKey(ctx, key, true, key.CreatedAt.Add(-Overlap)); err != nil {
		if errors.Is(err, core.ErrConflict) {
			return "", errors.New("another rotation happened at the same time; the keys are rotated")
		}
		return "", fmt.Errorf("storing the new assertion key: %w", err)
	}
	return key.ID, k.Reload(ctx)
}

// newKey generates a P-256 key from crypto/rand.
func (k *Keys) newKey() (*Key, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(pub)
	return &Key{ID: hex.EncodeToString(sum[:12]), Alg: Alg, Private: k.cfg.Sealer.Seal(der), Public: pub,
		CreatedAt: k.cfg.Now().UTC().Truncate(time.Millisecond)}, nil
}

// Reload reads the keys from the store: the signing key, and the JWKS of
// it and the keys retired less than Overlap ago. A store that has no key
// leaves the set empty (Start creates one).
func (k *Keys) Reload(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	keys, err := k.cfg.Store.AssertionKeys(ctx)
	if err != nil {
		return fmt.Errorf("loading the assertion keys: %w", err)
	}
	now := k.cfg.Now()
	st := &keyState{}
	var jwks []jwk
	for _, key := range keys {
		if !key.RetiredAt.IsZero() && now.After(key.RetiredAt.Add(Overlap)) {
			continue
		}
		pub, err := parsePublic(key.Public)
		if err != nil {
			return fmt.Errorf("assertion key %s: %w", key.ID, err)
		}
		jwks = append(jwks, jwkOf(key.ID, pub))
		st.kids = append(st.kids, key.ID)
		if key.RetiredAt.IsZero() && st.signer == nil {
			plain, err := k.cfg.Sealer.Open(key.Private)
			if err != nil {
				return fmt.Errorf("assertion key %s: %w (was the project secret changed without previous_secrets?)", key.ID, err)
			}
			priv, err := x509.ParsePKCS8PrivateKey(plain)
			if err != nil {
				return fmt.Errorf("assertion key %s: %w", key.ID, err)
			}
			ec, ok := priv.(*ecdsa.PrivateKey)
			if !ok {
				return fmt.Errorf("assertion key %s: not an ECDSA key", key.ID)
			}
			st.kid, st.signer = key.ID, ec
		}
	}
	if st.signer == nil {
		k.state.Store(nil)
		return nil
	}
	// The signing key first, whatever the clocks of the instances said.
	if i := slices.Index(st.kids, st.kid); i > 0 {
		st.kids = slices.Concat(st.kids[i:i+1], st.kids[:i], st.kids[i+1:])
		jwks = slices.Concat(jwks[i:i+1], jwks[:i], jwks[i+1:])
	}
	st.jwks, _ = json.Marshal(struct {
		Keys []jwk `json:"keys"`
	}{jwks})
	sum := sha256.Sum256(st.jwks)
	st.etag = `"` + hex.EncodeToString(sum[:8]) + `"`
	if old := k.state.Load(); old != nil && old.kid != st.kid {
		k.cfg.Logger.Info("assertion signing key changed", "kid", st.kid, "previous", old.kid)
	}
	k.state.Store(st)
	return nil
}

// Run reloads the keys every ReloadEvery until ctx ends.
func (k *Keys) Run(ctx context.Context) {
	t := time.NewTicker(ReloadEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			k.reloadLogged(ctx)
		}
	}
}

// OnRevocation reloads the keys when a rotation is announced, and on a
// resync (an announcement may have been lost).
func (k *Keys) OnRevocation(r core.Revocation) {
	if r.AssertionKeys {
		go k.reloadLogged(context.Background())
	}
}

// Resync reloads the keys after the revocation channel came back.
func (k *Keys) Resync() { go k.reloadLogged(context.Background()) }

func (k *Keys) reloadLogged(ctx context.Context) {
	if k.cfg.Store == nil { // not started
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := k.Reload(ctx); err != nil {
		k.cfg.Logger.Warn("reloading the assertion keys", "error", err)
	}
}

// Loaded reports whether a signing key is loaded.
func (k *Keys) Loaded() bool { return k.state.Load() != nil }

// KeyIDs lists the kids in the JWKS, newest (the signing key) first.
func (k *Keys) KeyIDs() []string {
	if st := k.state.Load(); st != nil {
		return append([]string(nil), st.kids...)
	}
	return nil
}

// JWKS returns the JWKS document.
func (k *Keys) JWKS() []byte {
	if st := k.state.Load(); st != nil {
		return st.jwks
	}
	return nil
}

// ServeJWKS answers GET and HEAD with the JWKS document, cacheable for a
// few minutes (a retired key outlives that by far).
func (k *Keys) ServeJWKS(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		httpapi.WriteError(w, core.NewError(core.ErrGeneralRouteNotFound))
		return
	}
	st := k.state.Load()
	if st == nil {
		httpapi.WriteError(w, core.NewError(core.ErrGeneralServiceDisabled))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/jwk-set+json")
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(jwksMaxAge/time.Second)))
	h.Set("ETag", st.etag)
	h.Set("Access-Control-Allow-Origin", "*")
	if r.Header.Get("If-None-Match") == st.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(st.jwks)))
	if r.Method == http.MethodGet {
		w.Write(st.jwks)
	}
}

// jwk is a public P-256 key in RFC 7517 form.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

func jwkOf(kid string, pub *ecdsa.PublicKey) jwk {
	b, _ := pub.Bytes() // uncompressed point: 0x04 || X || Y
	enc := base64.RawURLEncoding.EncodeToString
	return jwk{Kty: "EC", Crv: "P-256", X: enc(b[1:33]), Y: enc(b[33:65]), Kid: kid, Alg: Alg, Use: "sig"}
}

func parsePublic(der []byte) (*ecdsa.PublicKey, error) {
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, err
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errors.New("not a P-256 public key")
	}
	return ec, nil
}

package redis

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/accountgate/accountgate/account/core"
)

// GetVerified implements core.SharedCache; a miss is core.ErrNotFound.
func (c *Client) GetVerified(ctx context.Context, key [32]byte) (*core.Session, *core.User, error) {
	b, err := c.rdb.Get(ctx, c.entryKey(hex.EncodeToString(key[:]))).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, nil, fmt.Errorf("redis: get verified: %w", core.ErrNotFound)
	}
	if err != nil {
		return nil, nil, wrap("get verified", err)
	}
	var e cacheEntry
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, nil, fmt.Errorf("redis: get verified: decoding: %w", err)
	}
	return e.Session.session(), e.User.user(), nil
}

// PutVerified implements core.SharedCache. It stores the pair under
// <prefix>v:<hex key> for ttl and adds the key to the sets of its session
// and user, whose expiry it extends to at least ttl, in one transaction. A
// ttl under a millisecond caches nothing.
func (c *Client) PutVerified(ctx context.Context, key [32]byte, s *core.Session, u *core.User, ttl time.Duration) error {
	if ttl < time.Millisecond {
		return nil
	}
	b, err := json.Marshal(cacheEntry{Session: sessionJSONOf(s), User: userJSONOf(u)})
	if err != nil {
		return fmt.Errorf("redis: put verified: encoding: %w", err)
	}
	member := hex.EncodeToString(key[:])
	bySession, byUser := c.sessionSetKey(s.ID), c.userSetKey(u.ID)
	_, err = c.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.Set(ctx, c.entryKey(member), b, ttl)
		for _, set := range []string{bySession, byUser} {
			p.SAdd(ctx, set, member)
			// A new set gets ttl (NX); an older one is only extended (GT),
			// so it outlives every entry it lists.
			p.Do(ctx, "pexpire", set, ttl.Milliseconds(), "nx")
			p.Do(ctx, "pexpire", set, ttl.Milliseconds(), "gt")
		}
		return nil
	})
	return wrap("put verified", err)
}

// DropSession implements core.SharedCache.
func (c *Client) DropSession(ctx context.Context, sessionID string) error {
	return c.drop(ctx, "drop session", c.sessionSetKey(sessionID))
}

// DropUser implements core.SharedCache.
func (c *Client) DropUser(ctx context.Context, userID string) error {
	return c.drop(ctx, "drop user", c.userSetKey(userID))
}

// drop deletes every entry listed in set and removes them from it. It
// removes only the members it read (rather than deleting the set), so an
// entry added meanwhile stays listed for the next drop. Each key is
// deleted by its own command so that it works on Redis Cluster too.
func (c *Client) drop(ctx context.Context, op, set string) error {
	members, err := c.rdb.SMembers(ctx, set).Result()
	if err != nil {
		return wrap(op, err)
	}
	if len(members) == 0 {
		return nil
	}
	_, err = c.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for _, m := range members {
			p.Del(ctx, c.entryKey(m))
		}
		args := make([]any, len(members))
		for i, m := range members {
			args[i] = m
		}
		p.SRem(ctx, set, args...)
		return nil
	})
	return wrap(op, err)
}

func (c *Client) entryKey(hexKey string) string  { return c.key("v:" + hexKey) }
func (c *Client) sessionSetKey(id string) string { return c.key("vs:" + id) }
func (c *Client) userSetKey(id string) string    { return c.key("vu:" + id) }

// cacheEntry is the JSON of a cached pair. Times are unix milliseconds,
// 0 for the zero time, and come back in UTC.
type cacheEntry struct {
	Session sessionJSON `json:"s"`
	User    userJSON    `json:"u"`
}

type sessionJSON struct {
	ID                        string      `json:"id"`
	UserID                    string      `json:"userId"`
	CreatedAt                 int64       `json:"createdAt"`
	UpdatedAt                 int64       `json:"updatedAt,omitempty"`
	Expire                    int64       `json:"expire"`
	Provider                  string      `json:"provider"`
	ProviderUID               string      `json:"providerUid"`
	ProviderAccessToken       string      `json:"providerAccessToken"`
	ProviderRefreshToken      string      `json:"providerRefreshToken"`
	ProviderAccessTokenExpiry int64       `json:"providerAccessTokenExpiry"`
	SecretHash                []byte      `json:"secretHash"`
	IP                        string      `json:"ip"`
	UserAgent                 string      `json:"userAgent"`
	CountryCode               string      `json:"countryCode"`
	Device                    core.Device `json:"device"`
}

type userJSON struct {
	ID                string `json:"id"`
	CreatedAt         int64  `json:"createdAt"`
	UpdatedAt         int64  `json:"updatedAt"`
	Name              string `json:"name"`
	Email             string `json:"email"`
	Phone             string `json:"phone"`
	PasswordHash      string `json:"passwordHash"`
	PasswordUpdate    int64  `json:"passwordUpdate"`
	Registration      int64  `json:"registration"`
	Status            bool   `json:"status"`
	EmailVerification bool   `json:"emailVerification"`
	PhoneVerification bool   `json:"phoneVerification"`
	// Prefs is kept as a string, byte for byte (a json.RawMessage would be
	// compacted and HTML-escaped); nil stays nil.
	Prefs           *string  `json:"prefs"`
	PasswordHistory []string `json:"passwordHistory"`
	AccessedAt      int64    `json:"accessedAt,omitempty"`
	Labels          []string `json:"labels,omitempty"`
}

func sessionJSONOf(s *core.Session) sessionJSON {
	return sessionJSON{
		ID: s.ID, UserID: s.UserID, CreatedAt: millis(s.CreatedAt), UpdatedAt: millis(s.UpdatedAt), Expire: millis(s.Expire),
		Provider: s.Provider, ProviderUID: s.ProviderUID,
		ProviderAccessToken: s.ProviderAccessToken, ProviderRefreshToken: s.ProviderRefreshToken,
		ProviderAccessTokenExpiry: millis(s.ProviderAccessTokenExpiry),
		SecretHash:                s.SecretHash, IP: s.IP, UserAgent: s.UserAgent,
		CountryCode: s.CountryCode, Device: s.Device,
	}
}

func (j *sessionJSON) session() *core.Session {
	return &core.Session{
		ID: j.ID, UserID: j.UserID, CreatedAt: fromMillis(j.CreatedAt), UpdatedAt: fromMillis(j.UpdatedAt), Expire: fromMillis(j.Expire),
		Provider: j.Provider, ProviderUID: j.ProviderUID,
		ProviderAccessToken: j.ProviderAccessToken, ProviderRefreshToken: j.ProviderRefreshToken,
		ProviderAccessTokenExpiry: fromMillis(j.ProviderAccessTokenExpiry),
		SecretHash:                j.SecretHash, IP: j.IP, UserAgent: j.UserAgent,
		CountryCode: j.CountryCode, Device: j.Device,
	}
}

func userJSONOf(u *core.User) userJSON {
	j := userJSON{
		ID: u.ID, CreatedAt: millis(u.CreatedAt), UpdatedAt: millis(u.UpdatedAt),
		Name: u.Name, Email: u.Email, Phone: u.Phone, PasswordHash: u.PasswordHash,
		PasswordUpdate: millis(u.PasswordUpdate), Registration: millis(u.Registration),
		Status: u.Status, EmailVerification: u.EmailVerification, PhoneVerification: u.PhoneVerification,
		PasswordHistory: u.PasswordHistory, AccessedAt: millis(u.AccessedAt), Labels: u.Labels,
	}
	if u.Prefs != nil {
		p := string(u.Prefs)
		j.Prefs = &p
	}
	return j
}

func (j *userJSON) user() *core.User {
	u := &core.User{
		ID: j.ID, CreatedAt: fromMillis(j.CreatedAt), UpdatedAt: fromMillis(j.UpdatedAt),
		Name: j.Name, Email: j.Email, Phone: j.Phone, PasswordHash: j.PasswordHash,
		PasswordUpdate: fromMillis(j.PasswordUpdate), Registration: fromMillis(j.Registration),
		Status: j.Status, EmailVerification: j.EmailVerification, PhoneVerification: j.PhoneVerification,
		PasswordHistory: j.PasswordHistory, AccessedAt: fromMillis(j.AccessedAt), Labels: j.Labels,
	}
	if j.Prefs != nil {
		u.Prefs = json.RawMessage(*j.Prefs)
	}
	return u
}

// millis is t in unix milliseconds, 0 for the zero time.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMillis is the inverse of millis; times come back in UTC.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

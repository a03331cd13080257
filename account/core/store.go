package core

import (
	"context"
	"errors"
	"time"

	"github.com/accountgate/accountgate/account/outbox"
)

// ErrNotFound is returned by a store when the requested record does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned by a store when a write would break a unique key
// (user id, email, phone, session id or secret).
var ErrConflict = errors.New("conflict")

// ErrUnavailable wraps store errors that mean the backend cannot be reached
// right now; the API answers them with 503 instead of 500.
var ErrUnavailable = errors.New("store unavailable")

// Users persists accounts.
type Users interface {
	// CreateUser inserts u; a taken id, email or phone gives ErrConflict.
	CreateUser(ctx context.Context, u *User) error
	// UserByID returns the user or ErrNotFound.
	UserByID(ctx context.Context, id string) (*User, error)
	// UserByEmail returns the user with this (lowercased) email or ErrNotFound.
	UserByEmail(ctx context.Context, email string) (*User, error)
	// UserByPhone returns the user with this phone number or ErrNotFound.
	UserByPhone(ctx context.Context, phone string) (*User, error)
	// LockUser returns the user like UserByID and, inside WithTx, keeps
	// other transactions from changing or locking it until this one ends,
	// so that a read-modify-write through UpdateUser loses no concurrent
	// change.
	LockUser(ctx context.Context, id string) (*User, error)
	// UpdateUser overwrites every field of the user u.ID (Labels too);
	// ErrNotFound if it is gone, ErrConflict if the new email or phone is
	// taken.
	UpdateUser(ctx context.Context, u *User) error
	// SetUserLabels replaces the labels of the user id (nil clears them)
	// and nothing else; ErrNotFound if there is no such user. Tools that
	// write users directly (the import) use it; the service changes labels
	// through UpdateUser under the user's lock.
	SetUserLabels(ctx context.Context, id string, labels []string) error
	// TouchUser sets the user's AccessedAt to at unless it is already
	// after at-every, so a busy user costs one write per period; it
	// reports whether it wrote. CreateUser stores AccessedAt, UpdateUser
	// leaves it alone.
	TouchUser(ctx context.Context, id string, at time.Time, every time.Duration) (bool, error)
	// ListUsers returns at most limit users in creation order, starting
	// after the user afterID ("" starts at the first); ErrNotFound if
	// there is no user afterID.
	ListUsers(ctx context.Context, afterID string, limit int) ([]*User, error)
	// QueryUsers returns the page q asks for, each step a bounded index
	// read: the users matching q.Filter in creation order (newest first
	// with q.Desc), after the user q.Cursor (before it with q.Before,
	// the page nearest the cursor, still in that order), then q.Offset
	// skipped and at most q.Limit kept. ErrNotFound if there is no user
	// q.Cursor; the cursor need not match the filter.
	QueryUsers(ctx context.Context, q UserQuery) ([]*User, error)
	// CountUsers counts the users matching f, stopping at max.
	CountUsers(ctx context.Context, f UserFilter, max int) (int, error)
	// DeleteUser removes the user with their sessions, tokens, linked
	// identities and security-log entries; ErrNotFound if there is no
	// such user. Inside WithTx it is all or nothing.
	DeleteUser(ctx context.Context, id string) error
}

// UserFilter selects users. Each list, when not nil, holds at least one
// value and a user matches when one of them equals theirs (for Labels:
// one of their labels); every word of Search must occur in the user's
// id, email, phone or name, letter case aside (ASCII letters; words
// are lowercased). A zero UserFilter matches everyone.
type UserFilter struct {
	Emails []string
	Phones []string
	Status []bool
	Labels []string
	Search []string
}

// UserQuery is one page of QueryUsers.
type UserQuery struct {
	Filter        UserFilter
	Cursor        string
	Before        bool
	Desc          bool
	Offset, Limit int
}

// Sessions persists sessions.
type Sessions interface {
	// CreateSession inserts s; a taken id or secret hash gives ErrConflict.
	CreateSession(ctx context.Context, s *Session) error
	// SessionByID returns the session or ErrNotFound.
	SessionByID(ctx context.Context, id string) (*Session, error)
	// SessionBySecretHash returns the session whose SecretHash equals hash,
	// or ErrNotFound.
	SessionBySecretHash(ctx context.Context, hash []byte) (*Session, error)
	// UserSessions lists a user's sessions, oldest first, expired ones too.
	UserSessions(ctx context.Context, userID string) ([]*Session, error)
	// DeleteSession removes one session; ErrNotFound if there was none.
	DeleteSession(ctx context.Context, id string) error
	// UpdateSessionTokens replaces a session's provider tokens and their
	// expiry; ErrNotFound if the session is gone.
	UpdateSessionTokens(ctx context.Context, id, access, refresh string, expiry time.Time) error
	// ExtendSession sets a session's expiry and UpdatedAt; ErrNotFound if
	// the session is gone.
	ExtendSession(ctx context.Context, id string, expire, updatedAt time.Time) error
	// DeleteExpiredSessions removes the sessions that expired before now and
	// says how many went.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)
}

// Identities persists the provider accounts linked to users.
type Identities interface {
	// CreateIdentity inserts i; a (provider, provider user id) pair that
	// is already linked gives ErrConflict.
	CreateIdentity(ctx context.Context, i *LinkedIdentity) error
	// IdentityByProvider returns the identity of (provider, uid) or
	// ErrNotFound.
	IdentityByProvider(ctx context.Context, provider, uid string) (*LinkedIdentity, error)
	// UserIdentities lists a user's identities, oldest first.
	UserIdentities(ctx context.Context, userID string) ([]*LinkedIdentity, error)
	// DeleteIdentity removes the identity id of userID; ErrNotFound if
	// there is none (or it belongs to another user).
	DeleteIdentity(ctx context.Context, userID, id string) error
}

// Logs persists the security log.
type Logs interface {
	// CreateLog inserts one entry.
	CreateLog(ctx context.Context, e *LogEntry) error
	// UserLogs returns a user's entries newest first (ties broken by
	// insertion order, newest first), skipping offset and returning at most
	// limit, plus the total number of the user's entries.
	UserLogs(ctx context.Context, userID string, limit, offset int) ([]*LogEntry, int, error)
	// DeleteLogsBefore removes the entries older than t and says how many went.
	DeleteLogsBefore(ctx context.Context, t time.Time) (int64, error)
}

// Tokens persists single-use secrets.
type Tokens interface {
	// CreateToken inserts t; a taken id or secret hash gives ErrConflict.
	CreateToken(ctx context.Context, t *Token) error
	// ConsumeToken deletes and returns the token of userID with this type,
	// secret hash and target, if it has not expired at now; otherwise it
	// deletes nothing and returns ErrNotFound. Two concurrent calls never
	// both get the token.
	ConsumeToken(ctx context.Context, userID string, typ TokenType, hash, target []byte, now time.Time) (*Token, error)
	// ConsumeAnyToken is ConsumeToken over several kinds at once: it
	// deletes and returns one token of userID (the oldest) whose type,
	// target and secret hash are those of one of kinds, if it has not
	// expired at now; otherwise it deletes nothing and returns ErrNotFound
	// (also for no kinds). Two concurrent calls never both get a token,
	// whatever kinds each names.
	ConsumeAnyToken(ctx context.Context, userID string, kinds []TokenKind, now time.Time) (*Token, error)
	// DeleteUserTokens removes every token of userID of the given types,
	// expired or not, and says how many went.
	DeleteUserTokens(ctx context.Context, userID string, types ...TokenType) (int64, error)
	// DeleteExpiredTokens removes tokens that expired before now and says
	// how many went.
	DeleteExpiredTokens(ctx context.Context, now time.Time) (int64, error)
}

// TokenKind is one kind of token ConsumeAnyToken accepts: a type, the
// target (TargetHash) a token of that type must have been sent to, and
// the secret's hash as that type stores it (TokenHash).
type TokenKind struct {
	Type   TokenType
	Target []byte
	Hash   []byte
}

// Settings keeps small per-project values such as the generated secret.
type Settings interface {
	// SettingOrInit returns the value stored under key, storing value first
	// if there is none yet. Concurrent callers all get the first stored value.
	SettingOrInit(ctx context.Context, key string, value []byte) ([]byte, error)
}

// Store is everything the service persists, plus transactions.
type Store interface {
	Users
	Sessions
	Logs
	Identities
	Tokens
	outbox.Store
	Settings
	MFA
	// WithTx runs fn in one transaction: it commits if fn returns nil and
	// rolls back otherwise. The Store passed to fn must be used for every
	// call inside it.
	WithTx(ctx context.Context, fn func(tx Store) error) error
}

// ImportResult says what ImportUsers did with one user.
type ImportResult int

const (
	// ImportCreated: the user was stored.
	ImportCreated ImportResult = iota
	// ImportExists: a user with this id is already stored (or came
	// earlier in the same call); it was left as it is.
	ImportExists
	// ImportTaken: the email or phone belongs to another user, stored or
	// earlier in the same call; nothing was stored.
	ImportTaken
)

// UserImporter writes many users at once, for imports: far faster than
// one CreateUser each, and safe to re-run.
type UserImporter interface {
	// ImportUsers stores the users whose id, email and phone are all
	// free, in one transaction, and says for each user what became of it.
	// Values are stored as CreateUser stores them. An error other than
	// for one user's keys fails the call and stores nothing.
	ImportUsers(ctx context.Context, users []*User) ([]ImportResult, error)
}

// ImportKey is what tells apart the users of one ImportUsers call that
// share an id: the id, email and phone, NUL-separated.
func ImportKey(u *User) string { return u.ID + "\x00" + u.Email + "\x00" + u.Phone }

// StoreStatus is implemented by stores that can report on themselves, for
// readiness checks and metrics.
type StoreStatus interface {
	// Ping checks that the backend answers.
	Ping(ctx context.Context) error
	// OutboxDepth counts the messages waiting in the outbox.
	OutboxDepth(ctx context.Context) (int, error)
}

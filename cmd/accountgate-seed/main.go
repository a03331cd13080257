// Command accountgate-seed writes users and signed-in sessions straight
// into a store, for load tests: it bypasses the API (and argon2 per user),
// and writes the session cookies a client would hold, one per line, so a
// load generator can replay real sessions.
//
//	accountgate-seed -store sqlite -dsn ./data/bench.db -project bench \
//	    -users 10000 -sessions 100000 -out cookies.txt
//
// Every user gets the same password (-password), hashed once with
// argon2id at the service's default cost (m=19456 KiB, t=2, p=1), so a
// sign-in costs what a real one does and causes no re-hash. Users are
// <prefix><n>@seed.example (n from 0); session i belongs to user
// i mod users. Each line of -out is a Cookie header value exactly as the
// server sets it: a_session_<project>=<URL-encoded base64 of
// {"id":userId,"secret":secret}>. The store keeps only the SHA-256 of
// each 64-hex-character secret. Emails are unique: seeding the same store
// again needs another -prefix (-sessions 0 adds users only).
//
// -store sqlite opens (creating and migrating) the SQLite file -dsn;
// -store postgres the PostgreSQL database the URL -dsn names (bulk COPY
// through store/postgres).
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/sqlite"
)

// The service's default argon2id cost (core.PasswordConfig defaults).
const (
	argonMemory  = 19456
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// maxRecords bounds users+sessions: the counter part of the ids has 7
// hex digits.
const maxRecords = 1 << 28

// options are the command-line flags.
type options struct {
	store    string
	dsn      string
	project  string
	users    int
	sessions int
	out      string
	password string
	prefix   string
	duration time.Duration
}

// seeder is a store that can take users and sessions in bulk.
type seeder interface {
	SeedUsersAndSessions(ctx context.Context, users []*core.User, sessions []*core.Session) error
	Close() error
}

// openers open a store for seeding, by -store name.
var openers = map[string]func(ctx context.Context, dsn string) (seeder, error){
	"sqlite":   openSQLite,
	"postgres": openPostgres,
}

func main() {
	var o options
	flag.StringVar(&o.store, "store", "sqlite", "store kind: sqlite or postgres")
	flag.StringVar(&o.dsn, "dsn", "", "SQLite file, or PostgreSQL URL (required)")
	flag.StringVar(&o.project, "project", "", "Appwrite project id; names the cookie a_session_<project> (required)")
	flag.IntVar(&o.users, "users", 1000, "users to create")
	flag.IntVar(&o.sessions, "sessions", 10000, "sessions to create, spread evenly over the users")
	flag.StringVar(&o.out, "out", "", "file for the session cookies, one Cookie header value per line (required)")
	flag.StringVar(&o.password, "password", "password123", "password of every user")
	flag.StringVar(&o.prefix, "prefix", "user", "users are <prefix><n>@seed.example")
	flag.DurationVar(&o.duration, "duration", 365*24*time.Hour, "session lifetime")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: accountgate-seed -store sqlite|postgres -dsn <file|url> -project <id> -users N -sessions N -out <file>\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	start := time.Now()
	if err := run(context.Background(), o, time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, "accountgate-seed:", err)
		os.Exit(1)
	}
	emails := fmt.Sprintf("%s0@seed.example", o.prefix)
	if o.users > 1 {
		emails = fmt.Sprintf("%s0..%s%d@seed.example", o.prefix, o.prefix, o.users-1)
	}
	fmt.Fprintf(os.Stderr, "accountgate-seed: %d users (%s, password %q) and %d sessions into %s in %s; cookies in %s\n",
		o.users, emails, o.password, o.sessions, o.store, time.Since(start).Round(time.Millisecond), o.out)
}

func (o options) check() error {
	var errs []error
	if _, ok := openers[o.store]; !ok {
		errs = append(errs, fmt.Errorf("unknown -store %q (sqlite, postgres)", o.store))
	}
	if o.dsn == "" {
		errs = append(errs, errors.New("-dsn is required"))
	}
	if !validKey(o.project) {
		errs = append(errs, fmt.Errorf("-project %q: at most 36 of a-z, A-Z, 0-9, ., -, _, not starting with one of .-_", o.project))
	}
	if o.out == "" {
		errs = append(errs, errors.New("-out is required"))
	}
	if o.users < 1 || o.sessions < 0 || o.users+o.sessions > maxRecords {
		errs = append(errs, fmt.Errorf("-users must be at least 1, -sessions at least 0, and both together at most %d", maxRecords))
	}
	if len(o.password) < 8 {
		errs = append(errs, errors.New("-password must be at least 8 characters"))
	}
	if o.duration <= 0 {
		errs = append(errs, errors.New("-duration must be positive"))
	}
	return errors.Join(errs...)
}

// run seeds the store and writes the cookie file. now is the creation time
// of every record.
func run(ctx context.Context, o options, now time.Time) error {
	if err := o.check(); err != nil {
		return err
	}
	now = now.UTC().Truncate(time.Millisecond)
	users, sessions, cookies, err := generate(o, now)
	if err != nil {
		return err
	}
	st, err := openers[o.store](ctx, o.dsn)
	if err != nil {
		return err
	}
	if err := st.SeedUsersAndSessions(ctx, users, sessions); err != nil {
		st.Close()
		if errors.Is(err, core.ErrConflict) {
			return fmt.Errorf("seeding %s: %w (the store already has these users: seed a fresh store or change -prefix)", o.store, err)
		}
		return fmt.Errorf("seeding %s: %w", o.store, err)
	}
	if err := st.Close(); err != nil {
		return err
	}
	return writeLines(o.out, cookies)
}

// generate builds the records and the cookie of each session.
func generate(o options, now time.Time) ([]*core.User, []*core.Session, []string, error) {
	hash, err := passwordHash(o.password)
	if err != nil {
		return nil, nil, nil, err
	}
	var r [4]byte
	if _, err := rand.Read(r[:]); err != nil {
		return nil, nil, nil, err
	}
	run := binary.BigEndian.Uint32(r[:])
	users := make([]*core.User, o.users)
	for i := range users {
		email := fmt.Sprintf("%s%d@seed.example", strings.ToLower(o.prefix), i)
		users[i] = &core.User{
			ID: seedID(now, run, uint32(i)), CreatedAt: now, UpdatedAt: now,
			Name: fmt.Sprintf("Seed User %d", i), Email: email,
			PasswordHash: hash, PasswordUpdate: now, Registration: now, Status: true,
		}
	}
	name := "a_session_" + strings.ToLower(o.project)
	sessions := make([]*core.Session, o.sessions)
	cookies := make([]string, o.sessions)
	for i := range sessions {
		u := users[i%len(users)]
		secret, err := newSecret()
		if err != nil {
			return nil, nil, nil, err
		}
		sum := sha256.Sum256([]byte(secret))
		sessions[i] = &core.Session{
			ID: seedID(now, run, uint32(len(users)+i)), UserID: u.ID,
			// Distinct creation times keep "oldest first" well defined.
			CreatedAt: now.Add(time.Duration(i-len(sessions)) * time.Millisecond),
			Expire:    now.Add(o.duration), Provider: "email", ProviderUID: u.Email,
			SecretHash: sum[:], IP: "127.0.0.1", UserAgent: "accountgate-seed", CountryCode: "--",
		}
		cookies[i] = name + "=" + cookieValue(u.ID, secret)
	}
	return users, sessions, cookies, nil
}

// seedID is an Appwrite-style id of 20 hex characters: 8 from the time,
// 5 random ones per run (so that two runs in the same second do not
// collide), then 7 from n, so ids sort like creation within a run.
func seedID(now time.Time, run, n uint32) string {
	return fmt.Sprintf("%08x%05x%07x", uint32(now.Unix()), run&0xfffff, n)
}

func newSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// cookieValue is what the server puts in the session cookie: base64 of
// the compact JSON {"id":…,"secret":…}, URL-encoded as Appwrite does
// (account's encodeSessionToken, then CookieWriter.set's url.QueryEscape).
func cookieValue(userID, secret string) string {
	b, _ := json.Marshal(struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}{userID, secret})
	return url.QueryEscape(base64.StdEncoding.EncodeToString(b))
}

// passwordHash is the PHC string the service stores for password at its
// default cost.
func passwordHash(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ValidKey is the project id rule of the service.
func validKey(s string) bool {
	if s == "" || len(s) > 36 || strings.ContainsAny(s[:1], ".-_") {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func writeLines(path string, lines []string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, l := range lines {
		io.WriteString(w, l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// sqliteSeeder seeds through the store's own writes, in transactions of
// batch rows (the SQLite store has no bulk path; one writer, no network).
type sqliteSeeder struct{ *sqlite.Store }

func openSQLite(ctx context.Context, dsn string) (seeder, error) {
	st, err := sqlite.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return sqliteSeeder{st}, nil
}

const batch = 2000

func (s sqliteSeeder) SeedUsersAndSessions(ctx context.Context, users []*core.User, sessions []*core.Session) error {
	for lo := 0; lo < len(users)+len(sessions); lo += batch {
		hi := min(lo+batch, len(users)+len(sessions))
		err := s.WithTx(ctx, func(tx core.Store) error {
			for i := lo; i < hi; i++ {
				if i < len(users) {
					if err := tx.CreateUser(ctx, users[i]); err != nil {
						return fmt.Errorf("user %s: %w", users[i].Email, err)
					}
				} else if err := tx.CreateSession(ctx, sessions[i-len(users)]); err != nil {
					return fmt.Errorf("session %s: %w", sessions[i-len(users)].ID, err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

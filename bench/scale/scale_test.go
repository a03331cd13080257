package scale

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/postgres"
)

// The benchmark runs when ACCOUNTGATE_BENCH_POSTGRES names a database;
// it seeds each size once into its own schema (ag_scale_<n>) and reuses
// it on later runs.
//
//	ACCOUNTGATE_BENCH_POSTGRES=postgres://… go test ./bench/scale -run XXX -bench . -benchtime 5s
const (
	benchDSNVar = "ACCOUNTGATE_BENCH_POSTGRES"
	password    = "scale-password-1"
	seedBatch   = 50_000
	// sampleCookies bounds the cookies kept for the benchmark loop; they
	// are spread over the whole id range so lookups hit cold pages too.
	sampleCookies = 20_000
)

// cheapCost keeps the hash from hiding the store in the sign-in figure:
// the benchmark is about how the store scales, and argon2id at the
// default cost is a constant that the load script measures separately.
var cheapCost = core.PasswordConfig{Memory: 64, Time: 1, Threads: 1}

type fixture struct {
	svc     *account.Service
	cookies []string
	emails  []string
	ids     []string
}

// benchKey is the API key of the list benchmarks.
const benchKey = "scale-bench-key-0123456789abcdefghijklmnop"

func BenchmarkScale(b *testing.B) {
	dsn := os.Getenv(benchDSNVar)
	if dsn == "" {
		b.Skip("set " + benchDSNVar + " to a PostgreSQL DSN to run the scale benchmark")
	}
	for _, n := range benchSizes(b) {
		f := setup(b, dsn, n)
		b.Run(fmt.Sprintf("users=%d/gate_cache_miss", n), func(b *testing.B) {
			i := 0
			for b.Loop() {
				req := httptest.NewRequest("GET", "http://localhost/app", nil)
				req.Header.Set("Cookie", f.cookies[i%len(f.cookies)])
				if _, err := f.svc.GateCheck(req); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(fmt.Sprintf("users=%d/get_account_cache_miss", n), func(b *testing.B) {
			h, i := f.svc.APIHandler(), 0
			for b.Loop() {
				req := httptest.NewRequest("GET", "http://localhost/v1/account", nil)
				req.Header.Set("Cookie", f.cookies[i%len(f.cookies)])
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatal(rec.Body.String())
				}
				i++
			}
		})
		benchList(b, f, n)
		b.Run(fmt.Sprintf("users=%d/sign_in", n), func(b *testing.B) {
			h, i := f.svc.APIHandler(), 0
			for b.Loop() {
				body := `{"email":"` + f.emails[i%len(f.emails)] + `","password":"` + password + `"}`
				req := httptest.NewRequest("POST", "http://localhost/v1/account/sessions/email", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 201 {
					b.Fatal(rec.Body.String())
				}
				i++
			}
		})
	}
}

// setup opens (seeding if needed) the schema for n users and sessions.
func setup(b *testing.B, dsn string, n int) *fixture {
	ctx := context.Background()
	schema := fmt.Sprintf("ag_scale_%d", n)
	st, err := postgres.Open(ctx, dsn, postgres.Options{Schema: schema, MaxConns: 8})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	// Users are u<i>, sessions s<i> with secret sha256("secret-<i>"), so
	// a rerun can rebuild the cookies without storing them.
	if _, err := st.UserByID(ctx, fmt.Sprintf("u%d", n-1)); err != nil {
		b.Logf("seeding %d users and %d sessions into %s", n, n, schema)
		start := time.Now()
		if err := seed(ctx, st, n); err != nil {
			b.Fatal(err)
		}
		b.Logf("seeded in %s", time.Since(start).Round(time.Second))
		// What autovacuum does to a loaded table, done now: without the
		// visibility map, index-only scans (the list counts) read the
		// heap too.
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(ctx)
		for _, table := range []string{"users", "user_labels", "sessions"} {
			if _, err := conn.Exec(ctx, "VACUUM ANALYZE "+pgx.Identifier{schema, table}.Sanitize()); err != nil {
				b.Fatal(err)
			}
		}
	}
	svc, err := account.New(ctx, core.Config{ProjectID: "scale", Store: st, PublicURL: "http://localhost",
		Password: cheapCost, CacheSize: -1, RateLimits: core.RateLimitConfig{Off: true},
		// Sign-ins add sessions; pruning must not eat the seeded ones.
		MaxSessions: 1000,
		APIKeys:     []core.APIKey{{Name: "bench", Secret: benchKey, Scopes: []string{core.ScopeUsersRead}}}})
	if err != nil {
		b.Fatal(err)
	}
	f := &fixture{svc: svc}
	step := max(1, n/sampleCookies)
	for i := 0; i < n; i += step {
		f.cookies = append(f.cookies, "a_session_scale="+url.QueryEscape(cookieValue(i)))
		f.emails = append(f.emails, fmt.Sprintf("user%d@scale.example.com", i))
		f.ids = append(f.ids, fmt.Sprintf("u%d", i))
	}
	return f
}

func cookieValue(i int) string {
	raw, _ := json.Marshal(map[string]string{"id": fmt.Sprintf("u%d", i), "secret": fmt.Sprintf("secret-%d", i)})
	return base64.StdEncoding.EncodeToString(raw)
}

// benchLabels labels one user in ten "vip".
func benchLabels(i int) []string {
	if i%10 == 0 {
		return []string{"vip"}
	}
	return nil
}

// seed writes n users (one shared password hash) and one session each.
func seed(ctx context.Context, st *postgres.Store, n int) error {
	hash := core.HashPassword(cheapCost, password)
	now := time.Now().UTC().Truncate(time.Millisecond)
	for from := 0; from < n; from += seedBatch {
		to := min(n, from+seedBatch)
		users := make([]*core.User, 0, to-from)
		sessions := make([]*core.Session, 0, to-from)
		for i := from; i < to; i++ {
			id := fmt.Sprintf("u%d", i)
			users = append(users, &core.User{ID: id, CreatedAt: now, UpdatedAt: now, Registration: now, Status: true,
				Name: "User " + strconv.Itoa(i), Email: fmt.Sprintf("user%d@scale.example.com", i),
				PasswordHash: hash, PasswordUpdate: now, Labels: benchLabels(i)})
			sum := sha256.Sum256([]byte(fmt.Sprintf("secret-%d", i)))
			sessions = append(sessions, &core.Session{ID: fmt.Sprintf("s%d", i), UserID: id, CreatedAt: now,
				Expire: now.Add(365 * 24 * time.Hour), Provider: "email", SecretHash: sum[:], IP: "127.0.0.1", CountryCode: "--"})
		}
		if err := st.SeedUsersAndSessions(ctx, users, sessions); err != nil {
			return err
		}
	}
	return nil
}

// benchList runs the GET /v1/users benchmarks on f, which holds n users.
func benchList(b *testing.B, f *fixture, n int) {
	// GET /v1/users through an API key: pages from cursors spread
	// over the whole id range, and the filters, each with its total.
	for _, lc := range []struct {
		name    string
		queries func(i int) url.Values
	}{
		{"list_cursor", func(i int) url.Values {
			return url.Values{"queries[]": {`cursorAfter("` + f.ids[i%len(f.ids)] + `")`, "limit(25)"}}
		}},
		{"list_cursor_desc", func(i int) url.Values {
			return url.Values{"queries[]": {`cursorAfter("` + f.ids[i%len(f.ids)] + `")`, `orderDesc("$createdAt")`, "limit(25)"}}
		}},
		{"list_cursor_before", func(i int) url.Values {
			return url.Values{"queries[]": {`cursorBefore("` + f.ids[i%len(f.ids)] + `")`, "limit(25)"}}
		}},
		{"list_equal_email", func(i int) url.Values {
			return url.Values{"queries[]": {`equal("email", ["` + f.emails[i%len(f.emails)] + `"])`}}
		}},
		{"list_equal_label", func(i int) url.Values {
			return url.Values{"queries[]": {`equal("labels", ["vip"])`, `cursorAfter("` + f.ids[i%len(f.ids)] + `")`, "limit(25)"}}
		}},
		// Every user matches "scale": the page is the first rows read.
		{"list_search_common", func(i int) url.Values {
			return url.Values{"search": {"scale"}, "queries[]": {"limit(25)"}}
		}},
		// One user matches: no index serves a substring, so this
		// reads every row (the figure shows what that costs).
		{"list_search_one", func(i int) url.Values {
			return url.Values{"search": {strings.TrimSuffix(f.emails[i%len(f.emails)], "@scale.example.com") + "@"}}
		}},
	} {
		b.Run(fmt.Sprintf("users=%d/%s", n, lc.name), func(b *testing.B) {
			h, i := f.svc.APIHandler(), 0
			for b.Loop() {
				req := httptest.NewRequest("GET", "http://localhost/v1/users?"+lc.queries(i).Encode(), nil)
				req.Header.Set("X-Appwrite-Key", benchKey)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("%d %s", rec.Code, rec.Body.String())
				}
				i++
			}
		})
	}
}

// benchSizes are the user counts to run: 1,000 and 1,000,000, or those of
// ACCOUNTGATE_BENCH_SIZES (comma-separated).
func benchSizes(b *testing.B) []int {
	v := os.Getenv("ACCOUNTGATE_BENCH_SIZES")
	if v == "" {
		return []int{1_000, 1_000_000}
	}
	var sizes []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(f)
		if err != nil {
			b.Fatal(err)
		}
		sizes = append(sizes, n)
	}
	return sizes
}

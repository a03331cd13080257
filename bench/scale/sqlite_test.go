package scale

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/sqlite"
)

// benchSQLiteVar names a directory for the SQLite list benchmark; each
// size's database (ag_scale_<n>.db) is seeded there once and reused.
//
//	ACCOUNTGATE_BENCH_SQLITE=/var/tmp/ag go test ./bench/scale -run XXX -bench SQLite
const benchSQLiteVar = "ACCOUNTGATE_BENCH_SQLITE"

// BenchmarkScaleSQLiteList is the GET /v1/users part of BenchmarkScale on
// the embedded store: the same users (no sessions), seeded through the
// import's ImportUsers.
func BenchmarkScaleSQLiteList(b *testing.B) {
	dir := os.Getenv(benchSQLiteVar)
	if dir == "" {
		b.Skip("set " + benchSQLiteVar + " to a directory to run the SQLite list benchmark")
	}
	ctx := context.Background()
	for _, n := range benchSizes(b) {
		st, err := sqlite.Open(ctx, filepath.Join(dir, fmt.Sprintf("ag_scale_%d.db", n)))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.UserByID(ctx, fmt.Sprintf("u%d", n-1)); err != nil {
			b.Logf("seeding %d users into %s", n, dir)
			start := time.Now()
			if err := seedSQLite(ctx, st, n); err != nil {
				b.Fatal(err)
			}
			b.Logf("seeded in %s", time.Since(start).Round(time.Second))
		}
		svc, err := account.New(ctx, core.Config{ProjectID: "scale", Store: st, PublicURL: "http://localhost",
			Password: cheapCost, CacheSize: -1, RateLimits: core.RateLimitConfig{Off: true},
			APIKeys: []core.APIKey{{Name: "bench", Secret: benchKey, Scopes: []string{core.ScopeUsersRead}}}})
		if err != nil {
			b.Fatal(err)
		}
		f := &fixture{svc: svc}
		for i := 0; i < n; i += max(1, n/sampleCookies) {
			f.emails = append(f.emails, fmt.Sprintf("user%d@scale.example.com", i))
			f.ids = append(f.ids, fmt.Sprintf("u%d", i))
		}
		benchList(b, f, n)
		st.Close()
	}
}

// seedSQLite imports n users like seed's, without sessions.
func seedSQLite(ctx context.Context, st *sqlite.Store, n int) error {
	now := time.Now().UTC().Truncate(time.Millisecond)
	for from := 0; from < n; from += seedBatch {
		var users []*core.User
		for i := from; i < min(n, from+seedBatch); i++ {
			users = append(users, &core.User{ID: fmt.Sprintf("u%d", i), CreatedAt: now, UpdatedAt: now,
				Registration: now, Status: true, Name: fmt.Sprintf("User %d", i),
				Email: fmt.Sprintf("user%d@scale.example.com", i), Labels: benchLabels(i)})
		}
		if _, err := st.ImportUsers(ctx, users); err != nil {
			return err
		}
	}
	return nil
}

package importbench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/userimport"
	"github.com/accountgate/accountgate/store/postgres"
	"github.com/accountgate/accountgate/store/sqlite"
)

// The PostgreSQL half runs when ACCOUNTGATE_TEST_POSTGRES names a
// database; each run imports into a schema of its own, dropped after.
//
//	go test ./bench/import -run XXX -bench . -benchtime 1x
const (
	dsnVar = "ACCOUNTGATE_TEST_POSTGRES"
	users  = 100_000
	// small is the user count of BenchmarkImportSmall, for profiles.
	small = 5_000
)

// csvFile returns n users, a hash kind each in turn: the Appwrite
// reference hashes (importing parses and checks them, it hashes nothing).
func csvFile(n int) []byte {
	kinds := []string{
		"md5,144fa7eaa4904e8ee120651997f70dcc,,,,,,,,",
		"sha,4243da0a694e8a2f727c8060fe0507c8fa01ca68146c76d2c190805b638c20c6bf6ba04e21f11ae138785d0bff63c416e6f87badbffad37f6dee50094cc38c70,,,,,,,,sha512",
		"phpass,$P$Br387rwferoKN7uwHZqNMu98q3U8RO.,,,,,,,,",
		"scrypt,3fdef49701bc4cfaacd551fe017283513284b4731e6945c263246ef948d3cf63b5d269c31fd697246085111a428245e24a4ddc6b64c687bc60a8910dbafc1d5b,appwrite,,,16384,13,2,64,",
		"scrypt-modified,UlM7JiXRcQhzAGlaonpSqNSLIz475WMddOgLjej5De9vxTy48K6WtqlEzrRFeK4t0COfMhWCb8wuMHgxOFCHFQ==,UxLMreBr6tYyjQ==,Bw==,XyEKE9RcTDeLEsL/RjwPDBv/RqDl8fb3gpYEOQaPihbxf1ZAtSOHCjuAAa7Q3oHpCYhXSN9tizHgVOwn6krflQ==,,,,,",
		`bcrypt,$2a$04$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui,,,,,,,,`,
		`argon2,"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$9l0bGrcyxfzpKzqJ6VPpGvE6b/9BylOX8LnaGvEH2Y0",,,,,,,,`,
	}
	var b bytes.Buffer
	b.WriteString("userId,email,phone,name,emailVerification,prefs,hash,password,passwordSalt,passwordSaltSeparator,passwordSignerKey,passwordCpu,passwordMemory,passwordParallel,passwordLength,passwordVersion\n")
	for i := range n {
		fmt.Fprintf(&b, "user%06d,user%06d@example.com,+1555%07d,User %d,true,\"{\"\"n\"\":%d}\",%s\n", i, i, i, i, i, kinds[i%len(kinds)])
	}
	return b.Bytes()
}

// run imports data into a store open makes, timing the import only.
func run(b *testing.B, data []byte, n int, open func(b *testing.B) core.UserImporter) {
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		b.StopTimer()
		im := open(b)
		b.StartTimer()
		start := time.Now()
		sum, err := userimport.Import(context.Background(), im, bytes.NewReader(data), userimport.Options{Format: "csv"})
		if err != nil || sum != (userimport.Summary{Created: n}) {
			b.Fatalf("%+v %v", sum, err)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "users/s")
	}
}

func BenchmarkImport100k(b *testing.B) {
	data := csvFile(users)
	b.Run("sqlite", func(b *testing.B) {
		run(b, data, users, func(b *testing.B) core.UserImporter {
			s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "import.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		})
	})
	b.Run("postgres", func(b *testing.B) {
		dsn := os.Getenv(dsnVar)
		if dsn == "" {
			b.Skip("set " + dsnVar + " to a PostgreSQL DSN")
		}
		run(b, data, users, func(b *testing.B) core.UserImporter {
			var r [6]byte
			rand.Read(r[:])
			schema := "ag_import_bench_" + hex.EncodeToString(r[:])
			b.Cleanup(func() {
				conn, err := pgx.Connect(context.Background(), dsn)
				if err != nil {
					b.Error(err)
					return
				}
				defer conn.Close(context.Background())
				if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+strconv.Quote(schema)+" CASCADE"); err != nil {
					b.Error(err)
				}
			})
			s, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		})
	})
}

// BenchmarkImportSmall imports 5,000 users into SQLite, for profiles.
func BenchmarkImportSmall(b *testing.B) {
	run(b, csvFile(small), small, func(b *testing.B) core.UserImporter {
		s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "import.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}

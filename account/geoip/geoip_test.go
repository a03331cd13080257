package geoip

import (
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// testNetworks are the networks of the test database and the ISO codes
// their records carry, as GeoLite2-Country records do.
var testNetworks = map[string]string{
	"81.2.69.0/24":    "GB",
	"2.125.160.0/19":  "DE",
	"2a02:2e0::/32":   "de",
	"2001:480::/32":   "US",
	"89.160.20.0/24":  "SE",
	"175.16.199.0/24": "cn",
}

// writeTestDB writes a small GeoLite2-Country-shaped database to a
// temporary directory and returns its path.
func writeTestDB(t testing.TB) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: "GeoLite2-Country",
		Description:  map[string]string{"en": "accountgate test database"},
		Languages:    []string{"en"},
		IPVersion:    6,
		RecordSize:   24,
	})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, code := range testNetworks {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		record := mmdbtype.Map{
			"country": mmdbtype.Map{
				"iso_code":   mmdbtype.String(code),
				"geoname_id": mmdbtype.Uint32(1),
				"names":      mmdbtype.Map{"en": mmdbtype.String("Somewhere")},
			},
		}
		if err := tree.Insert(network, record); err != nil {
			t.Fatal(err)
		}
	}
	// A record without a country, as GeoLite2 has for some anycast
	// networks, which carry only registered_country.
	_, network, _ := net.ParseCIDR("1.1.1.0/24")
	if err := tree.Insert(network, mmdbtype.Map{
		"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String("AU")},
	}); err != nil {
		t.Fatal(err)
	}
	// A record whose iso_code has the wrong type.
	_, network, _ = net.ParseCIDR("8.8.8.0/24")
	if err := tree.Insert(network, mmdbtype.Map{
		"country": mmdbtype.Map{"iso_code": mmdbtype.Uint32(42)},
	}); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "country.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func openTestDB(t testing.TB) *DB {
	t.Helper()
	db, err := Open(writeTestDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func TestCountry(t *testing.T) {
	db := openTestDB(t)
	tests := []struct {
		ip   string
		want string
	}{
		{"81.2.69.142", "gb"},
		{"2.125.160.216", "de"},
		{"89.160.20.112", "se"},
		{"175.16.199.1", "cn"},
		{"::ffff:81.2.69.142", "gb"},     // IPv4-mapped
		{"2a02:2e0:3fe:1001::1", "de"},   // IPv6
		{"2001:480:10:1::1", "us"},       // IPv6
		{"2a02:2e0::1%eth0", "de"},       // zone ignored
		{"82.0.0.1", "--"},               // outside every network
		{"2a03::1", "--"},                // outside every network
		{"1.1.1.1", "--"},                // record without country
		{"8.8.8.8", "--"},                // malformed record
		{"127.0.0.1", "--"},              // loopback
		{"::1", "--"},                    // loopback
		{"10.1.2.3", "--"},               // private
		{"192.168.1.1", "--"},            // private
		{"fd00::1", "--"},                // unique local
		{"fe80::1", "--"},                // link-local
		{"0.0.0.0", "--"},                // unspecified
		{"224.0.0.1", "--"},              // multicast
		{"", "--"},                       // empty
		{"not an ip", "--"},              // garbage
		{"81.2.69.142:443", "--"},        // host:port is no address
		{"256.1.1.1", "--"},              // out of range
		{"81.2.69.142\x00", "--"},        // trailing NUL
		{" 81.2.69.142", "--"},           // not trimmed
		{"[2a02:2e0:3fe:1001::1]", "--"}, // brackets
	}
	for _, tt := range tests {
		if got := db.Country(tt.ip); got != tt.want {
			t.Errorf("Country(%q) = %q, want %q", tt.ip, got, tt.want)
		}
	}
}

func TestNilAndClosed(t *testing.T) {
	var db *DB
	if got := db.Country("81.2.69.142"); got != Unknown {
		t.Errorf("nil DB: Country = %q", got)
	}
	if err := db.Close(); err != nil {
		t.Errorf("nil DB: Close = %v", err)
	}

	none, err := Open("")
	if none != nil || err != nil {
		t.Fatalf(`Open("") = %v, %v; want nil, nil`, none, err)
	}

	db = openTestDB(t)
	if got := db.Country("81.2.69.142"); got != "gb" {
		t.Fatalf("Country = %q, want gb", got)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if got := db.Country("81.2.69.142"); got != Unknown {
		t.Errorf("closed DB: Country = %q", got)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing.mmdb")); err == nil {
		t.Error("Open of a missing file: no error")
	}
	junk := filepath.Join(dir, "junk.mmdb")
	if err := os.WriteFile(junk, []byte("this is not a MaxMind database"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(junk); err == nil {
		t.Error("Open of a junk file: no error")
	}
}

func TestConcurrent(t *testing.T) {
	db := openTestDB(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 200 {
				got := db.Country("81.2.69.142")
				if got != "gb" && got != Unknown {
					t.Errorf("Country = %q", got)
					return
				}
			}
			if i == 7 {
				db.Close()
			}
		})
	}
	wg.Wait()
}

func TestCountryName(t *testing.T) {
	for code, want := range map[string]string{
		"de":  "Germany",
		"DE":  "Germany",
		"us":  "United States",
		"gb":  "United Kingdom",
		"ci":  "Ivory Coast",
		"ax":  "Åland Islands",
		"xk":  "Kosovo",
		"--":  "Unknown",
		"":    "Unknown",
		"zz":  "Unknown",
		"d":   "Unknown",
		"deu": "Unknown",
	} {
		if got := CountryName(code); got != want {
			t.Errorf("CountryName(%q) = %q, want %q", code, got, want)
		}
	}
	if n := len(countryNames); n != 250 {
		t.Errorf("countryNames has %d entries, want 249 ISO codes and xk", n)
	}
	for code, name := range countryNames {
		if normalize(code) != code || name == "" {
			t.Errorf("bad entry %q: %q", code, name)
		}
	}
}

func FuzzCountry(f *testing.F) {
	for _, s := range []string{"81.2.69.142", "2a02:2e0::1", "::ffff:1.2.3.4", "fe80::1%eth0", "", "garbage", "1.1.1.1"} {
		f.Add(s)
	}
	db, err := Open(writeTestDB(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	f.Fuzz(func(t *testing.T, ip string) {
		got := db.Country(ip)
		if got != Unknown && (len(got) != 2 || normalize(got) != got) {
			t.Errorf("Country(%q) = %q", ip, got)
		}
		_ = CountryName(got)
		_ = CountryName(ip)
	})
}

func BenchmarkCountry(b *testing.B) {
	db, err := Open(writeTestDB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ReportAllocs()
	for b.Loop() {
		if db.Country("81.2.69.142") != "gb" {
			b.Fatal("wrong country")
		}
	}
}

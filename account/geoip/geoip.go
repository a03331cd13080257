package geoip

import (
	"net/netip"
	"sync"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Unknown is the country code reported for an address whose country is not
// known: private, loopback and other special addresses, addresses outside
// every network of the database, text that is no address, and every
// address when there is no database.
const Unknown = "--"

// DB is an open country database. Its methods are safe for concurrent use,
// and a nil *DB is a valid database that knows no country.
type DB struct {
	mu     sync.RWMutex
	reader *maxminddb.Reader // nil once closed
}

// Open opens the MaxMind DB file at path. An empty path means that there is
// no database: Open then returns a nil *DB and no error.
func Open(path string) (*DB, error) {
	if path == "" {
		return nil, nil
	}
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, err
	}
	return &DB{reader: r}, nil
}

// Close releases the database. Lookups after Close report [Unknown].
// Closing a nil or closed *DB does nothing.
func (db *DB) Close() error {
	if db == nil {
		return nil
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.reader == nil {
		return nil
	}
	err := db.reader.Close()
	db.reader = nil
	return err
}

// Country returns the lowercase ISO 3166-1 alpha-2 code of the country of
// ip, e.g. "de", or [Unknown]. ip is an IPv4 or IPv6 address in text form;
// an IPv4-mapped IPv6 address counts as its IPv4 address.
func (db *DB) Country(ip string) string {
	if db == nil {
		return Unknown
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return Unknown
	}
	addr = addr.Unmap().WithZone("")
	if !addr.IsGlobalUnicast() || addr.IsPrivate() {
		// Loopback, link-local, multicast, unspecified and private
		// addresses have no country.
		return Unknown
	}

	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.reader == nil {
		return Unknown
	}
	var code string
	if err := db.reader.Lookup(addr).DecodePath(&code, "country", "iso_code"); err != nil {
		return Unknown
	}
	return normalize(code)
}

// normalize returns the lowercase form of a two-letter ASCII country code,
// or Unknown for anything else.
func normalize(code string) string {
	if len(code) != 2 {
		return Unknown
	}
	var b [2]byte
	for i := range 2 {
		c := code[i]
		switch {
		case c >= 'a' && c <= 'z':
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		default:
			return Unknown
		}
		b[i] = c
	}
	return string(b[:])
}

// CountryName returns the English name of the country with the ISO 3166-1
// alpha-2 code code (in either case), e.g. "Germany" for "de", or "Unknown"
// for [Unknown] and for codes that name no country.
func CountryName(code string) string {
	if name, ok := countryNames[normalize(code)]; ok {
		return name
	}
	return "Unknown"
}

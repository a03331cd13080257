// Package sqlite implements core.Store on a single SQLite file through the
// pure Go driver modernc.org/sqlite, so the binary needs no cgo. Writes go
// through one connection (SQLite allows a single writer anyway, and
// serialising them in Go avoids SQLITE_BUSY storms), reads through a small
// read-only pool that WAL mode lets run next to the writer. A transaction
// takes the write lock at BEGIN, so it is serialised with every other one:
// LockUser needs no lock of its own. The schema is
// created and upgraded by goose migrations embedded in the binary; times are
// stored as unix milliseconds, with 0 meaning the zero time.
package sqlite

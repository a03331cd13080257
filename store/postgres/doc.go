// Package postgres implements core.Store on PostgreSQL through pgx v5
// and its connection pool (pgxpool), for deployments with several
// accountgate instances sharing one database.
//
// # Schema and migrations
//
// The schema is created and upgraded by plain-SQL goose migrations embedded
// in the binary (migrations/), mirroring the SQLite store version for
// version. They run through goose's Provider on a database/sql handle from
// pgx's stdlib, under a PostgreSQL session advisory lock, so that any number
// of instances may start at once: one migrates, the others wait and then
// find nothing to do. The lock key is derived from Options.Schema, so stores
// in different schemas of one database do not wait for each other.
//
// Options.Schema, when set, confines the store to that schema: every pooled
// connection starts with search_path set to it (goose's version table lives
// there too), and Open creates it if missing. Tests use one schema each.
//
// Times are BIGINT unix milliseconds, 0 for the zero time, exactly as in
// the SQLite store; booleans are BOOLEAN, hashes, payloads and settings
// BYTEA. Prefs and the password history are TEXT, so that the JSON bytes
// the service stored come back unchanged. A missing email or phone is
// stored as NULL, which the UNIQUE constraints allow any number of times.
//
// # Errors
//
// Unique violations (SQLSTATE 23505) are core.ErrConflict, a missing row
// core.ErrNotFound, and a foreign-key violation wraps ErrForeignKey.
// Errors meaning the database cannot be reached or cannot serve right now
// (refused or failed connections, timeouts including Options.QueryTimeout,
// a closed pool, SQLSTATE classes 08, 53, 57P and 58, query cancellation)
// wrap core.ErrUnavailable, which the API answers with 503. A context
// canceled by the caller is returned as is.
//
// # Transactions
//
// WithTx runs its callback in a transaction on one pooled connection, at
// the server's default isolation level (READ COMMITTED unless changed); a
// nested WithTx is a savepoint, so a failing inner callback undoes only its
// own writes. Unlike SQLite, PostgreSQL aborts the whole
// transaction at the first failed statement: after an error inside WithTx,
// the callback should return it (or have run the failing call in a nested
// WithTx). The Store handed to the callback must not be used from several
// goroutines at once.
//
// Concurrency promises of core.Store hold across instances: ConsumeToken
// is one DELETE … RETURNING, ClaimMessages one UPDATE over rows chosen FOR
// UPDATE SKIP LOCKED, SettingOrInit an INSERT … ON CONFLICT DO NOTHING
// followed by a SELECT, and LockUser a SELECT … FOR NO KEY UPDATE, whose
// row lock makes a read-modify-write of a user inside WithTx lose no
// concurrent change.
package postgres

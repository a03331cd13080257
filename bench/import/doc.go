// Package importbench holds the import benchmark: 100,000 users with
// password hashes of every kind, from a CSV file, into a fresh SQLite
// store and a fresh PostgreSQL schema, through `caddy accountgate
// import`'s code (package userimport). It has no code of its own; see
// import_test.go.
package importbench

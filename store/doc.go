// Package store groups the persistence backends of accountgate. Each
// subpackage implements core.Store for one database (store/sqlite for a
// single-node deployment), and store/storetest holds the conformance suite
// every backend must pass, so the service can switch backends without
// behaving differently.
package store

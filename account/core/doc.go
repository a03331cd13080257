// Package core is the leaf of the Accountgate domain: the models (users,
// sessions, tokens, log entries, identities, MFA state), the Appwrite error
// type and its catalogue, the store interfaces and the revocation and
// shared-cache contracts between instances. It imports nothing else of the
// project but leaf helpers (outbox's store contract, useragent's Device),
// so every other package can build on it without a cycle.
package core

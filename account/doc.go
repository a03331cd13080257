// Package account is the Accountgate domain: users, sessions, passwords, the
// Appwrite error catalogue and JSON models, the net/http handler that serves
// the /v1/account API, and the gate's identity resolution and header rules.
//
// It never imports Caddy or a concrete store: persistence comes in through
// the small interfaces in store.go, which the store/... packages implement.
package account

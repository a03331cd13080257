// Package account is the Accountgate domain: users, sessions, passwords, the
// Appwrite error catalogue and JSON models, the net/http handler that serves
// the /v1/account API, and the gate's identity resolution and header rules.
//
// It never imports Caddy or a concrete store: persistence comes in through
// the small interfaces in store.go, which the store/... packages implement.
//
// Parts with one job of their own live in packages below it, which know
// nothing of the Service: ratelimit (the limiter interface, the memory
// limiter and the fallback between a shared one and it), outbox (the
// sealed queue of mails and texts and its delivery worker), seal
// (encryption at rest under the project secrets), mail and sms (senders
// and templates), oauth (providers), useragent and geoip (what a request
// says about its client). Features built over the Service (admin,
// assertion) import it; pages talks to the API over HTTP.
package account

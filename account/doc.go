// Package account is the Accountgate domain service: users, sessions,
// passwords, the Appwrite JSON models, the net/http handler that serves the
// /v1/account API, and the gate's entry points (GateCheck and friends,
// which hand over to the verifier).
//
// It never imports Caddy or a concrete store. The domain core (models, the
// error catalogue, the store interfaces the store/... packages implement)
// is account/core; the verifier (credentials to a Principal, the
// verification cache, the JWT keyring, revocations, the gate's identity
// headers) is account/verify. core.go and verify_names.go re-export the
// names account's callers use.
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

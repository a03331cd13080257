// Package account is one project's account system put together: New
// builds, from a core.Config, the verifier, the request pipeline, the
// shared operations and the API packages, and Service keeps only what the
// Caddy adapter calls: the API's http.Handler, the gate's entry points
// (GateCheck and friends, which hand over to the verifier), the
// background work (Run) and the operators' actions (Users).
//
// It never imports Caddy or a concrete store. The packages below it, each
// with one job, from the bottom up (TestInnerLayers keeps the order):
//   - core: models, the error catalogue, the store interfaces, the
//     configuration and its checks, ids and secrets, token rules, input
//     validators and password hashing;
//   - verify: credentials to a Principal, the verification cache, the
//     JWT keyring, revocations and the gate's identity headers;
//   - httpapi: the request pipeline (route table, project, origin, scope,
//     MFA, rate-limit and parameter checks), the wire models and response
//     formats, cookies and CORS;
//   - domain: the operations the APIs share (transactional user changes,
//     sessions, tokens and their messages, passwords, the security log);
//   - the API packages, one capability each, over domain.Env: accountapi
//     (the account itself: profile, verification, recovery, JWTs,
//     identities, logs), sessionsapi (password and anonymous sign-in and
//     the session routes), passwordless (magic URL, email and phone codes,
//     sessions/token), oauthapi (OAuth2 sign-in), mfa (factors and
//     challenges) and usersapi (/v1/users).
//
// Leaves anything may use: ratelimit, outbox, seal, mail, sms, oauth,
// passhash, useragent and geoip. Features built over the Service (admin,
// assertion, userimport) import it or the layers below; pages talks to the
// API over HTTP.
package account

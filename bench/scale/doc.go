// Package scale holds the scale benchmark: sign-in, GET /v1/account, gate
// verification on the cache-miss path, and GET /v1/users (cursor paging
// both ways, orderDesc, equal on email and on a label, search), with 1,000
// and with 1,000,000 users and sessions in PostgreSQL. It has no code of
// its own; see scale_test.go and the README's "Scale" section.
package scale

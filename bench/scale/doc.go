// Package scale holds the scale benchmark: sign-in, GET /v1/account and
// gate verification on the cache-miss path, with 1,000 and with 1,000,000
// users and sessions in PostgreSQL. It has no code of its own; see
// scale_test.go and the README's "Scale" section.
package scale

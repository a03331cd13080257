package verify

import (
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
)

// IdentityHeaders holds the renamed identity headers of the gates of a
// service, so that account_api removes client copies of those names on
// every route, not only where a gate runs. The zero value is ready.
type IdentityHeaders struct {
	mu    sync.Mutex // serialises writers; readers load names
	names atomic.Pointer[[]string]
}

// Register adds the names a gate sends the identity under to the names
// Strip removes. Gates call it when they are set up.
func (reg *IdentityHeaders) Register(h HeaderNames) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	var names []string
	if old := reg.names.Load(); old != nil {
		names = slices.Clone(*old)
	}
	for _, n := range h.list() {
		if n != "" && !slices.ContainsFunc(names, func(o string) bool { return sameHeader(o, n) }) {
			names = append(names, n)
		}
	}
	reg.names.Store(&names)
}

// credentialNames are the request headers that carry credentials. No
// client sends them as trailers for a good reason.
var credentialNames = [...]string{"Cookie", "Authorization", "X-Appwrite-JWT", "X-Appwrite-Session", "X-Fallback-Cookies"}

// Strip removes, in any spelling, every client copy of an
// identity header (the defaults, the names gates registered, and extra)
// from r's headers, and those names and the credential headers from its
// trailers. Trailers arrive only once the body has been read, long after
// the handlers ran, so the body is wrapped to remove them then, before the
// proxy that reads it copies them upstream.
func (reg *IdentityHeaders) Strip(r *http.Request, extra HeaderNames) {
	m := stripMatcher{extra: extra.list()}
	if p := reg.names.Load(); p != nil {
		m.registered = *p
	}
	for key := range r.Header {
		if m.identity(key) {
			delete(r.Header, key)
		}
	}
	m.scrubTrailers(r.Trailer)
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &trailerScrubber{ReadCloser: r.Body, r: r, m: m}
	}
}

// stripMatcher tells which names StripIdentity removes. A struct rather
// than closures keeps the hot path free of allocations.
type stripMatcher struct {
	extra      [identityFieldCount]string
	registered []string
}

// identity reports whether key is an identity header name.
func (m *stripMatcher) identity(key string) bool {
	if sameHeader(key, AssertionHeader) {
		return true
	}
	for i := range m.extra {
		if (m.extra[i] != "" && sameHeader(key, m.extra[i])) || sameHeader(key, defaultHeaderList[i]) {
			return true
		}
	}
	for _, n := range m.registered {
		if sameHeader(key, n) {
			return true
		}
	}
	return false
}

// scrubTrailers deletes identity and credential names from h.
func (m *stripMatcher) scrubTrailers(h http.Header) {
	for key := range h {
		if m.identity(key) || slices.ContainsFunc(credentialNames[:], func(n string) bool { return sameHeader(key, n) }) {
			delete(h, key)
		}
	}
}

// trailerScrubber removes trailers when the body ends: net/http merges
// them into r.Trailer just before the read that reports the end, and a
// reverse proxy copies them right after it.
type trailerScrubber struct {
	io.ReadCloser
	r *http.Request
	m stripMatcher
}

func (b *trailerScrubber) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.m.scrubTrailers(b.r.Trailer)
	}
	return n, err
}

package verify

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/accountgate/accountgate/account/oauth"
)

// HeaderNames are the request headers through which the gate hands the
// verified identity to the upstream. An empty name is not sent (but any
// client copy of the default name is still removed).
type HeaderNames struct {
	ID              string `json:"id,omitempty"`
	Email           string `json:"email,omitempty"`
	Name            string `json:"name,omitempty"`
	Phone           string `json:"phone,omitempty"`
	EmailVerified   string `json:"email_verified,omitempty"`
	PhoneVerified   string `json:"phone_verified,omitempty"`
	SessionID       string `json:"session_id,omitempty"`
	SessionProvider string `json:"session_provider,omitempty"`
	Labels          string `json:"labels,omitempty"`
}

// IdentityField is one item of the identity the gate hands upstream.
type IdentityField struct {
	// Name is the item's name in the Caddyfile's `header` option, in
	// HeaderNames' JSON and in the {http.auth.user.<Name>} placeholder.
	Name string
	// Header is the default request header that carries it.
	Header string
}

// IdentityFields is the one list of the identity's items; HeaderNames,
// Identity's values, the placeholders and the stripping all follow its
// order.
var IdentityFields = [identityFieldCount]IdentityField{
	{"id", "X-Account-Id"},
	{"email", "X-Account-Email"},
	{"name", "X-Account-Name"},
	{"phone", "X-Account-Phone"},
	{"email_verified", "X-Account-Email-Verified"},
	{"phone_verified", "X-Account-Phone-Verified"},
	{"session_id", "X-Account-Session-Id"},
	{"session_provider", "X-Account-Session-Provider"},
	{"labels", "X-Account-Labels"},
}

const identityFieldCount = 9

// fields points at h's names in IdentityFields' order.
func (h *HeaderNames) fields() [identityFieldCount]*string {
	return [identityFieldCount]*string{&h.ID, &h.Email, &h.Name, &h.Phone,
		&h.EmailVerified, &h.PhoneVerified, &h.SessionID, &h.SessionProvider, &h.Labels}
}

// DefaultHeaderNames are the X-Account-* names of DESIGN.md.
func DefaultHeaderNames() HeaderNames {
	var h HeaderNames
	for i, f := range h.fields() {
		*f = IdentityFields[i].Header
	}
	return h
}

// SetName renames the header of the identity item called field (see
// IdentityFields); false for an unknown item.
func (h *HeaderNames) SetName(field, header string) bool {
	for i, f := range h.fields() {
		if IdentityFields[i].Name == field {
			*f = header
			return true
		}
	}
	return false
}

// WithDefaults fills every empty name with its default.
func (h HeaderNames) WithDefaults() HeaderNames {
	for i, f := range h.fields() {
		if *f == "" {
			*f = IdentityFields[i].Header
		}
	}
	return h
}

func (h HeaderNames) list() [identityFieldCount]string {
	var names [identityFieldCount]string
	for i, f := range h.fields() {
		names[i] = *f
	}
	return names
}

// Identity is what the gate tells the upstream, as header and placeholder
// values.
type Identity struct {
	ID              string
	Email           string
	Name            string
	Phone           string
	EmailVerified   string
	PhoneVerified   string
	SessionID       string
	SessionProvider string
	// Labels are the user's labels, comma-separated ("" for none).
	Labels string
}

// values are the identity's items in IdentityFields' order.
func (id Identity) values() [identityFieldCount]string {
	return [identityFieldCount]string{id.ID, id.Email, id.Name, id.Phone, id.EmailVerified, id.PhoneVerified, id.SessionID, id.SessionProvider, id.Labels}
}

// Value returns the item called field (see IdentityFields).
func (id Identity) Value(field string) (string, bool) {
	for i, f := range IdentityFields {
		if f.Name == field {
			return id.values()[i], true
		}
	}
	return "", false
}

// Identity returns the principal's identity values, each safe as a header
// value (see headerSafe).
func (p *Principal) Identity() Identity {
	id := Identity{
		ID:            headerSafe(p.User.ID),
		Email:         headerSafe(p.User.Email),
		Name:          headerSafe(p.User.Name),
		Phone:         headerSafe(p.User.Phone),
		EmailVerified: strconv.FormatBool(p.User.EmailVerification),
		PhoneVerified: strconv.FormatBool(p.User.PhoneVerification),
		// Join copies nothing for none or one label; headerSafe nothing
		// for labels that passed CheckLabels.
		Labels: headerSafe(strings.Join(p.User.Labels, ",")),
	}
	if p.Session != nil {
		id.SessionID = headerSafe(p.Session.ID)
		id.SessionProvider = headerSafe(p.Session.Provider)
		// OAuth2 sessions are named by their provider (DESIGN.md's table).
		if _, isOAuth := oauth.Lookup(p.Session.Provider); isOAuth {
			id.SessionProvider = "oauth2:" + p.Session.Provider
		}
	}
	return id
}

// headerSafe returns s with every control byte (below 0x20, and DEL)
// replaced by a space. Input validation keeps them out of names, but a
// value stored some other way (an older version, an import, the store
// edited by hand) must still not make the proxy refuse the header, which
// would turn every request of that user into a 502. Replacing keeps the
// value readable and its length; other bytes, UTF-8 included, are valid
// in a header value and pass as they are. Clean values are returned
// without copying.
func headerSafe(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
	if i < 0 {
		return s
	}
	b := []byte(s)
	for j := i; j < len(b); j++ {
		if b[j] < 0x20 || b[j] == 0x7f {
			b[j] = ' '
		}
	}
	return string(b)
}

// sameHeader reports whether two header names are the same once letter
// case and the _/- spelling are ignored: proxies and frameworks treat
// X_Account_Id as X-Account-Id, so a client must not smuggle either.
func sameHeader(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if foldHeaderByte(a[i]) != foldHeaderByte(b[i]) {
			return false
		}
	}
	return true
}

func foldHeaderByte(c byte) byte {
	switch {
	case c == '_':
		return '-'
	case c >= 'A' && c <= 'Z':
		return c + 'a' - 'A'
	}
	return c
}

var defaultHeaderList = DefaultHeaderNames().list()

// AssertionHeader carries the signed identity assertion of a gate that
// sends one. Client copies are removed in any spelling whether the gate
// sends assertions or not: an upstream that verifies assertions must
// never see one the client made up, nor an old one it replays.
const AssertionHeader = "X-Account-Assertion"

// Strip removes every client-sent copy of the identity headers, in any
// spelling, including duplicates.
func (h HeaderNames) Strip(hdr http.Header) {
	names := h.list()
	defaults := defaultHeaderList
	for key := range hdr {
		if sameHeader(key, AssertionHeader) {
			delete(hdr, key)
			continue
		}
		for i := range names {
			if (names[i] != "" && sameHeader(key, names[i])) || sameHeader(key, defaults[i]) {
				delete(hdr, key)
				break
			}
		}
	}
}

// Set writes the identity into hdr. Call Strip first.
func (h HeaderNames) Set(hdr http.Header, id Identity) {
	names := h.list()
	// One backing array for the one-value slices.
	values := id.values()
	for i, n := range names {
		if n != "" {
			hdr[http.CanonicalHeaderKey(n)] = values[i : i+1 : i+1]
		}
	}
}

// StripCredentials removes the credentials the gate consumed (the session
// cookies, X-Fallback-Cookies, X-Appwrite-Session, X-Appwrite-JWT, and an
// Authorization header that carried our JWT) so the upstream never sees
// them. Other cookies and headers are kept as they are.
func (v *Verifier) StripCredentials(hdr http.Header, p *Principal) {
	// The Bearer JWT goes even when X-Appwrite-JWT was the one consumed:
	// the upstream must not receive a credential of ours either way. (With
	// a session, gateAuthenticate has already judged the Bearer token.)
	bearer := p != nil && (p.BearerJWT || (p.ViaJWT && v.carriesOurBearer(hdr)))
	for key := range hdr {
		if sameHeader(key, "X-Fallback-Cookies") || sameHeader(key, "X-Appwrite-Session") || sameHeader(key, "X-Appwrite-JWT") ||
			(bearer && sameHeader(key, "Authorization")) {
			delete(hdr, key)
		}
	}
	lines := hdr.Values("Cookie")
	if len(lines) == 0 {
		return
	}
	var kept []string
	for _, line := range lines {
		for _, part := range strings.Split(line, ";") {
			name, _, _ := strings.Cut(strings.TrimSpace(part), "=")
			if name == "" || strings.EqualFold(name, v.cfg.CookieName) || strings.EqualFold(name, v.cfg.CookieName+"_legacy") {
				continue
			}
			kept = append(kept, strings.TrimSpace(part))
		}
	}
	if len(kept) == 0 {
		hdr.Del("Cookie")
		return
	}
	hdr["Cookie"] = []string{strings.Join(kept, "; ")}
}

// carriesOurBearer reports whether an Authorization header (in any
// spelling) is a Bearer token signed by this project, valid or not.
func (v *Verifier) carriesOurBearer(hdr http.Header) bool {
	for key, values := range hdr {
		if !sameHeader(key, "Authorization") {
			continue
		}
		for _, auth := range values {
			if len(auth) < 7 || !strings.EqualFold(auth[:7], "Bearer ") {
				continue
			}
			if _, err := v.keys.verify(strings.TrimSpace(auth[7:]), v.cfg.Now()); !errors.Is(err, errJWTNotOurs) {
				return true
			}
		}
	}
	return false
}

package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/oauth2"
)

// maxBody bounds what is read from a provider's reply.
const maxBody = 1 << 20

// userRequest carries what a user API call needs.
type userRequest struct {
	c   *Client
	tok *oauth2.Token
	url string // the resolved user endpoint
}

// get GETs u and decodes a JSON object.
func (r *userRequest) get(ctx context.Context, u string, hdr ...string) (object, error) {
	body, err := r.do(ctx, http.MethodGet, u, hdr...)
	if err != nil {
		return nil, err
	}
	return decodeObject(body)
}

// getList GETs u and decodes a JSON array of objects.
func (r *userRequest) getList(ctx context.Context, u string, hdr ...string) ([]object, error) {
	body, err := r.do(ctx, http.MethodGet, u, hdr...)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v []any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("user API: invalid JSON array: %w", err)
	}
	return decodeList(v), nil
}

// do sends an authenticated request (Authorization per the provider's
// scheme, fixed headers, then hdr as key/value pairs) and returns the body
// of a 2xx answer; other answers are errors.
func (r *userRequest) do(ctx context.Context, method, u string, hdr ...string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	switch scheme := r.c.p.authScheme; scheme {
	case "-":
	case "":
		req.Header.Set("Authorization", "Bearer "+r.tok.AccessToken)
	default:
		req.Header.Set("Authorization", scheme+" "+r.tok.AccessToken)
	}
	for k, v := range r.c.p.headers {
		req.Header.Set(k, v)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := r.c.hc.Do(req)
	if err != nil {
		// Not %w: a *url.Error would print the query, which may hold tokens.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("user API %s %s: %w", method, redact(req.URL), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("user API: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("user API %s %s: %s: %s", method, redact(req.URL), resp.Status, snippet(body))
	}
	return body, nil
}

func decodeObject(body []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("user API: invalid JSON object: %w", err)
	}
	return m, nil
}

// decodeList decodes a JSON array of objects.
func decodeList(v any) []object {
	arr, _ := v.([]any)
	out := make([]object, 0, len(arr))
	for _, e := range arr {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// redact drops the query (which may hold a token) from a URL for errors.
func redact(u *url.URL) string {
	c := *u
	c.RawQuery = ""
	return c.String()
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// object is a decoded JSON object; paths are dotted ("name.display_name",
// "data.0.id").
type object map[string]any

func (o object) at(path string) any {
	var cur any = map[string]any(o)
	for _, k := range strings.Split(path, ".") {
		switch t := cur.(type) {
		case map[string]any:
			cur = t[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(t) {
				return nil
			}
			cur = t[i]
		default:
			return nil
		}
	}
	return cur
}

// str returns a string or number at path as a string, else "".
func (o object) str(path string) string {
	switch t := o.at(path).(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	}
	return ""
}

// truth reports whether the value at path is true, "true" or 1.
func (o object) truth(path string) bool { return truthy(o.at(path)) }

// list returns the objects of the array at path.
func (o object) list(path string) []object { return decodeList(o.at(path)) }

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// pickEmail chooses from a list of addresses: primary and verified, else
// any verified, else the primary one (unverified). The keys name the
// address, primary and verified fields.
func pickEmail(list []object, emailKey, primaryKey, verifiedKey string) (string, bool) {
	var anyVerified, primary string
	for _, e := range list {
		addr := e.str(emailKey)
		if addr == "" {
			continue
		}
		p, v := primaryKey != "" && e.truth(primaryKey), e.truth(verifiedKey)
		switch {
		case p && v:
			return addr, true
		case v && anyVerified == "":
			anyVerified = addr
		case p && primary == "":
			primary = addr
		}
	}
	if anyVerified != "" {
		return anyVerified, true
	}
	return primary, false
}

func joinName(first, last string) string {
	return strings.TrimSpace(strings.TrimSpace(first) + " " + strings.TrimSpace(last))
}

// fields makes a userFunc for a user API that answers one JSON object:
// the arguments are the paths of the id, email, name (alternatives split
// by "|", first non-empty wins) and email-verified flag ("" = never).
func fields(id, email, name, verified string) userFunc {
	return func(ctx context.Context, r *userRequest) (Identity, error) {
		m, err := r.get(ctx, r.url)
		if err != nil {
			return Identity{}, err
		}
		return m.identity(id, email, name, verified), nil
	}
}

func (o object) identity(id, email, name, verified string) Identity {
	var names []string
	for _, p := range strings.Split(name, "|") {
		names = append(names, o.str(p))
	}
	out := Identity{ID: o.str(id), Email: o.str(email), Name: firstNonEmpty(names...)}
	if verified != "" {
		out.EmailVerified = o.truth(verified)
	}
	return out
}

// tokenClient wraps hc so that requests to the token endpoint are sent as
// JSON (jsonTokenRequest) and replies pass through p.fixToken.
func tokenClient(hc *http.Client, p *Provider) *http.Client {
	c := *hc
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = &tokenTransport{base: base, p: p}
	return &c
}

type tokenTransport struct {
	base http.RoundTripper
	p    *Provider
}

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.p.jsonTokenRequest && req.Body != nil && strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		raw, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		for k := range form {
			m[k] = form.Get(k)
		}
		js, _ := json.Marshal(m)
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(js))
		req.ContentLength = int64(len(js))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(js)), nil }
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil || t.p.fixToken == nil {
		return resp, err
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	fixed := t.p.fixToken(raw)
	resp.Body = io.NopCloser(bytes.NewReader(fixed))
	resp.ContentLength = int64(len(fixed))
	resp.Header.Del("Content-Length")
	return resp, nil
}

package account

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
)

// maxBodyBytes bounds request bodies. The largest legitimate body is a
// prefs object of 64 kB as Appwrite measures it, which can take up to
// ~400 kB raw; anything bigger is refused before parsing.
const maxBodyBytes = 1 << 20

// params holds the parameters of a request: from the body for writes
// (JSON or form-encoded) and from the query string for reads, as Appwrite
// reads them.
type params struct {
	json map[string]json.RawMessage
	form url.Values
}

// readParams parses the request's parameters; malformed input is a 400,
// never a 500.
func readParams(r *http.Request) (*params, error) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, argumentError("Invalid query string.")
		}
		return &params{form: q}, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, argumentError("Could not read the request body.")
	}
	if len(body) > maxBodyBytes {
		return nil, argumentError("Request body is too large: the limit is %d bytes.", maxBodyBytes)
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType == "application/json" || (mediaType == "" && len(bytes.TrimSpace(body)) > 0 && bytes.TrimSpace(body)[0] == '{') {
		p := &params{json: map[string]json.RawMessage{}}
		if len(bytes.TrimSpace(body)) == 0 {
			return p, nil
		}
		if err := json.Unmarshal(body, &p.json); err != nil {
			return nil, argumentError("Invalid JSON body: %s", jsonReason(err))
		}
		if p.json == nil { // the body was `null`
			p.json = map[string]json.RawMessage{}
		}
		return p, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, argumentError("Invalid form body.")
	}
	return &params{form: form}, nil
}

func jsonReason(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "syntax error at byte " + strconv.FormatInt(syn.Offset, 10) + "."
	case errors.As(err, &typ):
		return "the body must be a JSON object."
	}
	return "malformed JSON."
}

// has reports whether the parameter is present and not null.
func (p *params) has(name string) bool {
	if p.json != nil {
		raw, ok := p.json[name]
		return ok && string(raw) != "null"
	}
	_, ok := p.form[name]
	return ok
}

// stringParam returns a string parameter. Absent (or null) is ok=false; a
// value of another JSON type is an error with the parameter's validator
// description, as a failed validator would give.
func (p *params) stringParam(name, desc string) (value string, ok bool, err error) {
	if !p.has(name) {
		return "", false, nil
	}
	if p.json != nil {
		if err := json.Unmarshal(p.json[name], &value); err != nil {
			return "", false, invalidParam(name, desc)
		}
		return value, true, nil
	}
	return p.form.Get(name), true, nil
}

// required returns a required string parameter or the 400 that Appwrite
// gives for a missing one.
func (p *params) required(name, desc string) (string, error) {
	v, ok, err := p.stringParam(name, desc)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", argumentError("Param \"%s\" is not optional.", name)
	}
	return v, nil
}

func invalidParam(name, desc string) *Error {
	return argumentError("Invalid %s: %s", name, desc)
}

// maxPasswordBytes bounds passwords. Appwrite 1.3 has no maximum, but
// argon2 reads the whole password and a request holds it while it waits
// for a hashing slot: 200 sign-ins with 1 MiB passwords would hold
// hundreds of MiB. Later Appwrite versions refuse more than 256 too.
const maxPasswordBytes = 256

// descPasswordTooLong is the description later Appwrite versions give.
const descPasswordTooLong = "Password must be between 8 and 256 characters long."

// password reads a required password parameter: at least 8 bytes, as
// Appwrite checks it, with the parameter's own validator description, and
// at most maxPasswordBytes, checked here so that a long one is refused
// before any wait for a hashing slot.
func (p *params) password(name, desc string) (string, error) {
	v, err := p.required(name, desc)
	if err != nil {
		return "", err
	}
	if err := checkPasswordLength(name, desc, v); err != nil {
		return "", err
	}
	return v, nil
}

// checkPasswordLength applies the password length rules to a value read.
func checkPasswordLength(name, desc, v string) error {
	if len(v) < 8 {
		return invalidParam(name, desc)
	}
	if len(v) > maxPasswordBytes {
		return invalidParam(name, descPasswordTooLong)
	}
	return nil
}

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

// MaxBodyBytes bounds Request bodies. The largest legitimate body is a
// prefs object of 64 kB as Appwrite measures it, which can take up to
// ~400 kB raw; anything bigger is refused before parsing.
const MaxBodyBytes = 1 << 20

// Params holds the parameters of a Request: from the body for writes
// (JSON or form-encoded) and from the query string for reads, as Appwrite
// reads them.
type Params struct {
	json map[string]json.RawMessage
	form url.Values
}

// ReadParams parses the Request's parameters; malformed input is a 400,
// never a 500.
func ReadParams(r *http.Request) (*Params, error) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, ArgumentError("Invalid query string.")
		}
		return &Params{form: q}, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, ArgumentError("Could not read the Request body.")
	}
	if len(body) > MaxBodyBytes {
		return nil, ArgumentError("Request body is too large: the limit is %d bytes.", MaxBodyBytes)
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType == "application/json" || (mediaType == "" && len(bytes.TrimSpace(body)) > 0 && bytes.TrimSpace(body)[0] == '{') {
		p := &Params{json: map[string]json.RawMessage{}}
		if len(bytes.TrimSpace(body)) == 0 {
			return p, nil
		}
		if err := json.Unmarshal(body, &p.json); err != nil {
			return nil, ArgumentError("Invalid JSON body: %s", jsonReason(err))
		}
		if p.json == nil { // the body was `null`
			p.json = map[string]json.RawMessage{}
		}
		return p, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, ArgumentError("Invalid form body.")
	}
	return &Params{form: form}, nil
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
func (p *Params) Has(name string) bool {
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
func (p *Params) String(name, desc string) (value string, ok bool, err error) {
	if !p.Has(name) {
		return "", false, nil
	}
	if p.json != nil {
		if err := json.Unmarshal(p.json[name], &value); err != nil {
			return "", false, InvalidParam(name, desc)
		}
		return value, true, nil
	}
	return p.form.Get(name), true, nil
}

// required returns a required string parameter or the 400 that Appwrite
// gives for a missing one.
func (p *Params) Required(name, desc string) (string, error) {
	v, ok, err := p.String(name, desc)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ArgumentError("Param \"%s\" is not optional.", name)
	}
	return v, nil
}

func InvalidParam(name, desc string) *Error {
	return ArgumentError("Invalid %s: %s", name, desc)
}

// MaxPasswordBytes bounds passwords. Appwrite 1.3 has no maximum, but
// argon2 reads the whole password and a Request holds it while it waits
// for a hashing slot: 200 sign-ins with 1 MiB passwords would hold
// hundreds of MiB. Later Appwrite versions refuse more than 256 too.
const MaxPasswordBytes = 256

// DescPasswordTooLong is the description later Appwrite versions give.
const DescPasswordTooLong = "Password must be between 8 and 256 characters long."

// password reads a required password parameter: at least 8 bytes, as
// Appwrite checks it, with the parameter's own validator description, and
// at most MaxPasswordBytes, checked here so that a long one is refused
// before any wait for a hashing slot.
func (p *Params) Password(name, desc string) (string, error) {
	v, err := p.Required(name, desc)
	if err != nil {
		return "", err
	}
	if err := CheckPasswordLength(name, desc, v); err != nil {
		return "", err
	}
	return v, nil
}

// CheckPasswordLength applies the password length rules to a value read.
func CheckPasswordLength(name, desc, v string) error {
	if len(v) < 8 {
		return InvalidParam(name, desc)
	}
	if len(v) > MaxPasswordBytes {
		return InvalidParam(name, DescPasswordTooLong)
	}
	return nil
}

package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"github.com/accountgate/accountgate/account/core"
)

// MaxBodyBytes bounds request bodies. The largest legitimate body is a
// prefs object of 64 kB as Appwrite measures it, which can take up to
// ~400 kB raw; anything bigger is refused before parsing.
const MaxBodyBytes = 1 << 20

// Params holds the parameters of a request: from the body for writes
// (JSON or form-encoded) and from the query string for reads, as Appwrite
// reads them.
type Params struct {
	json map[string]json.RawMessage
	form url.Values
}

// ReadParams parses the request's parameters; malformed input is a 400,
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
		return nil, ArgumentError("Could not read the request body.")
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

// Has reports whether the parameter is present and not null.
func (p *Params) Has(name string) bool {
	if p.json != nil {
		raw, ok := p.json[name]
		return ok && string(raw) != "null"
	}
	_, ok := p.form[name]
	return ok
}

// String returns a string parameter. Absent (or null) is ok=false; a
// value of another JSON type is an error with the parameter's validator
// description, as a failed validator would give.
func (p *Params) String(name, desc string) (value string, ok bool, err error) {
	if !p.Has(name) {
		return "", false, nil
	}
	if p.json != nil {
		if err := json.Unmarshal(p.json[name], &value); err != nil {
			return "", false, core.InvalidParam(name, desc)
		}
		return value, true, nil
	}
	return p.form.Get(name), true, nil
}

// Required returns a required string parameter or the 400 that Appwrite
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

// MaxPasswordBytes bounds passwords. Appwrite 1.3 has no maximum, but
// argon2 reads the whole password and a request holds it while it waits
// for a hashing slot: 200 sign-ins with 1 MiB passwords would hold
// hundreds of MiB. Later Appwrite versions refuse more than 256 too.
const MaxPasswordBytes = 256

// DescPasswordTooLong is the description later Appwrite versions give.
const DescPasswordTooLong = "Password must be between 8 and 256 characters long."

// Password reads a required password parameter: at least 8 bytes, as
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
		return core.InvalidParam(name, desc)
	}
	if len(v) > MaxPasswordBytes {
		return core.InvalidParam(name, DescPasswordTooLong)
	}
	return nil
}

// ArgumentError is a 400 general_argument_invalid with a formatted message.
func ArgumentError(format string, args ...any) *core.Error {
	return core.Errorf(core.ErrGeneralArgumentInvalid, format, args...)
}

// Int reads an optional integer parameter in [lo, hi]: a JSON number
// (or a numeric string, as forms send) or def when absent. Out of range
// or not an integer is Appwrite's Range validator error.
func (p *Params) Int(name string, def, lo, hi int) (int, error) {
	bad := core.InvalidParam(name, "Value must be a valid range between "+GroupThousands(lo)+" and "+GroupThousands(hi))
	if !p.Has(name) {
		return def, nil
	}
	var raw string
	if p.json != nil {
		var n json.Number
		if err := json.Unmarshal(p.json[name], &n); err != nil {
			if err := json.Unmarshal(p.json[name], &raw); err != nil {
				return 0, bad
			}
		} else {
			raw = n.String()
		}
	} else {
		raw = p.form.Get(name)
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, bad
	}
	return n, nil
}

// RequiredInt reads a required integer parameter.
func (p *Params) RequiredInt(name string) (int, error) {
	if !p.Has(name) {
		return 0, ArgumentError("Param \"%s\" is not optional.", name)
	}
	var n int
	if p.json != nil {
		if err := json.Unmarshal(p.json[name], &n); err != nil {
			return 0, core.InvalidParam(name, DescInteger)
		}
		return n, nil
	}
	n, err := strconv.Atoi(p.form.Get(name))
	if err != nil {
		return 0, core.InvalidParam(name, DescInteger)
	}
	return n, nil
}

// Labels reads the required labels parameter: a JSON array of strings,
// or in a form labels[] (or labels) repeated. Items are checked by count
// before any is decoded.
func (p *Params) Labels() ([]string, error) {
	if p.json == nil {
		vals, ok := p.form["labels[]"]
		if !ok {
			vals, ok = p.form["labels"]
		}
		if !ok {
			return nil, ArgumentError("Param \"labels\" is not optional.")
		}
		return vals, nil
	}
	if !p.Has("labels") {
		return nil, ArgumentError("Param \"labels\" is not optional.")
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(p.json["labels"], &raw); err != nil || len(raw) > core.MaxLabels {
		return nil, core.InvalidParam("labels", core.DescLabels)
	}
	out := make([]string, len(raw))
	for i, v := range raw {
		if err := json.Unmarshal(v, &out[i]); err != nil {
			return nil, core.InvalidParam("labels", core.DescLabels)
		}
	}
	return out, nil
}

// Bool reads a required boolean parameter: JSON true or false, or
// in a form "true", "false", "1" or "0", as Appwrite's loose validator
// takes them.
func (p *Params) Bool(name string) (bool, error) {
	bad := ArgumentError("Invalid %s: Value must be a valid boolean", name)
	if !p.Has(name) {
		return false, ArgumentError("Param \"%s\" is not optional.", name)
	}
	var v string
	if p.json != nil {
		var b bool
		if err := json.Unmarshal(p.json[name], &b); err == nil {
			return b, nil
		}
		if err := json.Unmarshal(p.json[name], &v); err != nil {
			var n json.Number
			if json.Unmarshal(p.json[name], &n) != nil {
				return false, bad
			}
			v = n.String()
		}
	} else {
		v = p.form.Get(name)
	}
	switch v {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, bad
}

// GroupThousands writes n with commas, as PHP's number_format does.
func GroupThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// DescInteger is the description of an integer parameter.
const DescInteger = "Value must be a valid integer"

// Raw is the parameter's JSON as sent; nil when it is not in a JSON body.
func (p *Params) Raw(name string) json.RawMessage { return p.json[name] }

// IsJSON reports whether the parameters came as a JSON body.
func (p *Params) IsJSON() bool { return p.json != nil }

// Form is the parameter's value in a query string or form body.
func (p *Params) Form(name string) string { return p.form.Get(name) }

// Prefs reads the required prefs object, compacted, within
// Appwrite's size limit.
func (p *Params) Prefs() (json.RawMessage, error) {
	if !p.Has("prefs") {
		return nil, ArgumentError("Param \"prefs\" is not optional.")
	}
	raw := bytes.TrimSpace(p.Raw("prefs"))
	if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) || core.AppwriteJSONLen(raw) > core.MaxPrefsBytes {
		return nil, core.InvalidParam("prefs", core.DescPrefs)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, core.InvalidParam("prefs", core.DescPrefs)
	}
	return json.RawMessage(compact.Bytes()), nil
}

// ReadSecret reads the secret parameter of the confirmation routes.
func ReadSecret(r *Request) (string, error) {
	secret, err := r.Params.Required("secret", core.DescText(256))
	if err != nil {
		return "", err
	}
	if !core.ValidText(secret, 256) {
		return "", core.InvalidParam("secret", core.DescText(256))
	}
	return secret, nil
}

// ReadUserID reads the userId parameter with the UID (or CustomId) rules.
func ReadUserID(r *Request, desc string) (string, error) {
	id, err := r.Params.Required("userId", desc)
	if err != nil {
		return "", err
	}
	if !core.ValidKey(id) {
		return "", core.InvalidParam("userId", desc)
	}
	return id, nil
}

// CustomID reads userId on the routes that may create a user:
// "unique()" (or "") means a generated id, returned as "".
func (p *Params) CustomID() (string, error) {
	id, err := p.Required("userId", core.DescCustomID)
	if err != nil {
		return "", err
	}
	if id == "unique()" || id == "" {
		return "", nil
	}
	if !core.ValidKey(id) {
		return "", core.InvalidParam("userId", core.DescCustomID)
	}
	return id, nil
}

// ReadPhone reads and checks the phone parameter.
func ReadPhone(r *Request) (string, error) {
	phone, err := r.Params.Required("phone", core.DescPhone)
	if err != nil {
		return "", err
	}
	if !core.PhonePattern.MatchString(phone) {
		return "", core.InvalidParam("phone", core.DescPhone)
	}
	return phone, nil
}

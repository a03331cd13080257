package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Format is the X-Appwrite-Response-Format of a request as one
// comparable number, major*1e6 + minor*1e3 + patch. Zero (absent or
// unreadable) is the 1.3 contract, like every format below 1.4.0.
type Format uint32

// The formats where something changes for the Account API.
const (
	Format14 Format = 1_004_000 // SDK 13: labels, accessedAt, identities
	Format15 Format = 1_005_000 // SDK 14+: MFA fields, session factors, token phrase; PATCH sessions extends
	format23 Format = 2_003_000 // SDK 28, the first to declare the identity's providerIdToken
)

// FormatHeader is the request header the SDKs send their format in.
const FormatHeader = "X-Appwrite-Response-Format"

// ParseFormat reads "major.minor.patch" (a missing part counts 0, a
// pre-release tail is ignored); anything else is zero, the 1.3 contract.
func ParseFormat(v string) Format {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 32 {
		return 0
	}
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		v = v[:i]
	}
	parts := strings.Split(v, ".")
	if len(parts) > 3 {
		return 0
	}
	var f Format
	for i := 0; i < 3; i++ {
		f *= 1000
		if i >= len(parts) {
			continue
		}
		n, err := strconv.ParseUint(parts[i], 10, 16)
		if err != nil || n > 999 {
			return 0
		}
		f += Format(n)
	}
	return f
}

// formatAdditions is the one table of what each response format adds to
// the models: a response in an older format goes out without those
// fields. Models not listed never change.
var formatAdditions = []struct {
	since  Format
	model  string
	fields []string
}{
	{Format14, "account", []string{"labels", "accessedAt"}},
	{Format15, "account", []string{"mfa", "targets"}},
	{Format15, "session", []string{"$updatedAt", "factors", "secret", "mfaUpdatedAt"}},
	{Format15, "token", []string{"phrase"}},
	{format23, "identity", []string{"providerIdToken"}},
}

// apiModel is a response model whose shape depends on the format.
type apiModel interface{ modelName() string }

func (AccountModel) modelName() string  { return "account" }
func (SessionModel) modelName() string  { return "session" }
func (TokenModel) modelName() string    { return "token" }
func (IdentityModel) modelName() string { return "identity" }

// dropped reports whether a response in format f leaves out field of
// model.
func dropped(f Format, model, field string) bool {
	for _, a := range formatAdditions {
		if a.model == model && f < a.since {
			for _, name := range a.fields {
				if name == field {
					return true
				}
			}
		}
	}
	return false
}

// formatWriter carries the request's format to WriteJSON, so handlers
// render the newest models and never look at the format themselves.
type formatWriter struct {
	http.ResponseWriter
	Format Format
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *formatWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// FormatOf is the format the response to w is in.
func FormatOf(w http.ResponseWriter) Format {
	if fw, ok := w.(*formatWriter); ok {
		return fw.Format
	}
	return 0
}

// MarshalFor encodes v in format f: like json.Marshal, but the models in
// v lose the fields f predates.
func MarshalFor(v any, f Format) ([]byte, error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || !shaped(rv.Type()) {
		return json.Marshal(v)
	}
	var buf bytes.Buffer
	if err := encodeShaped(&buf, rv, f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var (
	modelType  = reflect.TypeFor[apiModel]()
	shapedMemo sync.Map // reflect.Type -> bool
)

// shaped reports whether values of t contain a model, directly, in a
// field or in a slice: only those take the slower field-by-field path.
func shaped(t reflect.Type) bool {
	if v, ok := shapedMemo.Load(t); ok {
		return v.(bool)
	}
	out := holdsModel(t, map[reflect.Type]bool{})
	shapedMemo.Store(t, out)
	return out
}

// holdsModel is shaped's walk; seen stops it on types that refer to
// themselves.
func holdsModel(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Struct:
		if t.Implements(modelType) {
			return true
		}
		for i := 0; i < t.NumField(); i++ {
			if sf := t.Field(i); (sf.IsExported() || sf.Anonymous) && holdsModel(sf.Type, seen) {
				return true
			}
		}
	case reflect.Slice, reflect.Pointer:
		return holdsModel(t.Elem(), seen)
	}
	return false
}

// encodeShaped writes v as JSON: structs field by field in declaration
// order under their json names (the fields of an embedded struct in its
// place, as json.Marshal does), models without their dropped fields,
// everything that holds no model by json.Marshal. Types holding models
// use plain json tags (no omitempty, no two fields of one name): what
// json.Marshal would do with those is not repeated here.
func encodeShaped(buf *bytes.Buffer, v reflect.Value, f Format) error {
	t := v.Type()
	if !shaped(t) {
		b, err := json.Marshal(v.Interface())
		buf.Write(b)
		return err
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			buf.WriteString("null")
			return nil
		}
		return encodeShaped(buf, v.Elem(), f)
	case reflect.Slice:
		if v.IsNil() {
			buf.WriteString("null")
			return nil
		}
		buf.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := encodeShaped(buf, v.Index(i), f); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	}
	model := ""
	if m, ok := v.Interface().(apiModel); ok {
		model = m.modelName()
	}
	buf.WriteByte('{')
	first := true
	if err := encodeFields(buf, v, model, f, &first); err != nil {
		return err
	}
	buf.WriteByte('}')
	return nil
}

// encodeFields writes the fields of struct v, inlining embedded structs;
// first says whether no field was written yet.
func encodeFields(buf *bytes.Buffer, v reflect.Value, model string, f Format, first *bool) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" && sf.Anonymous {
			// Untagged embedded structs are inlined, exported or not.
			fv := v.Field(i)
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() || !sf.IsExported() {
					continue // json.Marshal cannot reach through either
				}
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct {
				if err := encodeFields(buf, fv, model, f, first); err != nil {
					return err
				}
				continue
			}
		}
		if !sf.IsExported() || name == "-" || (model != "" && dropped(f, model, name)) {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if !*first {
			buf.WriteByte(',')
		}
		*first = false
		key, _ := json.Marshal(name)
		buf.Write(key)
		buf.WriteByte(':')
		if err := encodeShaped(buf, v.Field(i), f); err != nil {
			return err
		}
	}
	return nil
}

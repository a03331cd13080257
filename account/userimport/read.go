package userimport

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Formats are the file formats Import reads.
var Formats = []string{"appwrite", "csv", "json", "firebase"}

// rowFunc receives each row: its record, or why it cannot be read, and the
// line it starts on. An error it returns stops the reading.
type rowFunc func(line int, rec *record, err error) error

// errStop ends a reading that cannot go on past a row (a JSON syntax
// error); the row itself has been reported.
var errStop = errors.New("reading stopped")

// read calls fn for each row of data in format; fb is the hash
// configuration of the firebase format.
func read(format string, data []byte, fb *FirebaseHashConfig, fn rowFunc) error {
	var err error
	switch format {
	case "csv":
		err = readCSV(data, fn)
	case "json":
		err = readJSON(data, decodeJSONRow, false, fn)
	case "appwrite":
		err = readJSON(data, decodeAppwriteRow, true, fn)
	case "firebase":
		if fb == nil {
			return errors.New("the firebase format needs the project's password hash parameters (--hash-config)")
		}
		err = readJSON(data, fb.decodeRow, true, fn)
	default:
		return fmt.Errorf("unknown format %q (one of: %s)", format, strings.Join(Formats, ", "))
	}
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// csvColumns sets a record's field from a CSV cell, by header name.
var csvColumns = map[string]func(r *record, v string) error{
	"userId":                func(r *record, v string) error { r.UserID = v; return nil },
	"email":                 func(r *record, v string) error { r.Email = v; return nil },
	"phone":                 func(r *record, v string) error { r.Phone = v; return nil },
	"name":                  func(r *record, v string) error { r.Name = v; return nil },
	"emailVerification":     func(r *record, v string) error { return csvBool(&r.EmailVerification, v) },
	"phoneVerification":     func(r *record, v string) error { return csvBool(&r.PhoneVerification, v) },
	"status":                func(r *record, v string) error { r.Status = new(bool); return csvBool(r.Status, v) },
	"prefs":                 func(r *record, v string) error { r.Prefs = json.RawMessage(v); return nil },
	"labels":                func(r *record, v string) error { r.Labels = csvList(v); return nil },
	"createdAt":             func(r *record, v string) error { r.CreatedAt = v; return nil },
	"hash":                  func(r *record, v string) error { r.Hash = v; return nil },
	"password":              func(r *record, v string) error { r.Password = v; return nil },
	"passwordSalt":          func(r *record, v string) error { r.PasswordSalt = v; return nil },
	"passwordSaltSeparator": func(r *record, v string) error { r.PasswordSaltSeparator = v; return nil },
	"passwordSignerKey":     func(r *record, v string) error { r.PasswordSignerKey = v; return nil },
	"passwordCpu":           func(r *record, v string) error { return csvInt(&r.PasswordCPU, v) },
	"passwordMemory":        func(r *record, v string) error { return csvInt(&r.PasswordMemory, v) },
	"passwordParallel":      func(r *record, v string) error { return csvInt(&r.PasswordParallel, v) },
	"passwordLength":        func(r *record, v string) error { return csvInt(&r.PasswordLength, v) },
	"passwordVersion":       func(r *record, v string) error { r.PasswordVersion = v; return nil },
}

func csvBool(to *bool, v string) error {
	if v == "" {
		*to = false
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("%q is not true or false", v)
	}
	*to = b
	return nil
}

func csvInt(to *int, v string) error {
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("%q is not an integer", v)
	}
	*to = n
	return nil
}

// csvList splits labels written a;b;c.
func csvList(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ";")
}

// readCSV reads a CSV file whose first line names the columns (see
// csvColumns); the other lines are users.
func readCSV(data []byte, fn rowFunc) error {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("line 1: reading the CSV header: %w", err)
	}
	// The reader reuses its slice.
	header = slices.Clone(header)
	setters := make([]func(*record, string) error, len(header))
	seen := map[string]bool{}
	for i, name := range header {
		name = strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))
		if setters[i] = csvColumns[name]; setters[i] == nil {
			return fmt.Errorf("line 1: unknown column %q", name)
		}
		if seen[name] {
			return fmt.Errorf("line 1: column %q twice", name)
		}
		seen[name] = true
	}
	if !seen["userId"] {
		return errors.New(`line 1: no "userId" column: an import keeps ids, so that it can run again`)
	}
	cr.FieldsPerRecord = len(header)
	for {
		cells, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			line := pe.StartLine
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				err = fmt.Errorf("%d fields, the header has %d", len(cells), len(header))
			} else {
				err = pe.Err
			}
			if err := fn(line, nil, err); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		line, _ := cr.FieldPos(0)
		rec := &record{}
		for i, v := range cells {
			if err = setters[i](rec, v); err != nil {
				err = fmt.Errorf("column %s: %w", header[i], err)
				break
			}
		}
		if err != nil {
			rec = nil
		}
		if err := fn(line, rec, err); err != nil {
			return err
		}
	}
}

// lines turns byte offsets of data, asked in increasing order, into line
// numbers.
type lines struct {
	data []byte
	off  int64
	line int
}

func (l *lines) at(off int64) int {
	off = min(max(off, l.off), int64(len(l.data)))
	l.line += bytes.Count(l.data[l.off:off], []byte{'\n'})
	l.off = off
	return l.line + 1
}

// readJSON reads users as a JSON array of objects or a sequence of objects
// (JSON lines), each made a record by decode; with pages, it also takes
// {"users":[…]} documents (Appwrite's Users API pages, with a total too,
// or Firebase's export), one or several in a row.
func readJSON(data []byte, decode func(json.RawMessage) (*record, error), pages bool, fn rowFunc) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	ln := &lines{data: data}
	// syntax reports a malformed document at its line and stops: a JSON
	// reader cannot find the next row after a syntax error.
	syntax := func(err error) error {
		line := ln.at(dec.InputOffset())
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line = ln.at(se.Offset)
		}
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			line = ln.at(int64(len(data)))
			err = errors.New("unexpected end of the file")
		}
		if err := fn(line, nil, fmt.Errorf("malformed JSON, the rest of the file is not read: %v", err)); err != nil {
			return err
		}
		return errStop
	}
	row := func(raw json.RawMessage) error {
		line := ln.at(dec.InputOffset() - int64(len(raw)))
		rec, err := decode(raw)
		return fn(line, rec, err)
	}
	array := func() error {
		for dec.More() {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return syntax(err)
			}
			if err := row(raw); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return syntax(err)
		}
		return nil
	}
	switch first := bytes.TrimLeft(data, " \t\r\n\ufeff"); {
	case len(first) == 0:
		return nil
	case first[0] == '[':
		dec.Token()
		if err := array(); err != nil {
			return err
		}
		if _, err := dec.Token(); err != io.EOF {
			return syntax(errors.New("more after the array"))
		}
		return nil
	case pages && isPage(first):
		for {
			err := readPage(dec, array)
			if err == io.EOF {
				return nil
			}
			if err != nil {
				if errors.Is(err, errStop) {
					return err
				}
				return syntax(err)
			}
		}
	}
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return syntax(err)
		}
		if err := row(raw); err != nil {
			return err
		}
	}
}

// isPage reports whether the document starting data is a Users API page
// (its first key is total or users) rather than a user.
func isPage(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	key, _ := dec.Token()
	return key == "total" || key == "users"
}

// readPage reads one {"total":…,"users":[…]} page, handing the array to
// array; io.EOF when there is none left.
func readPage(dec *json.Decoder, array func() error) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != json.Delim('{') {
		return errors.New("expected a page object")
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return err
		}
		if key != "users" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return errors.New(`"users" is not an array`)
		}
		if err := array(); err != nil {
			return err
		}
	}
	_, err = dec.Token()
	return err
}

// appwriteUser is a user as the Users API of Appwrite sends it with an
// API key: with its hash and the hash's options.
type appwriteUser struct {
	ID                string          `json:"$id"`
	CreatedAt         string          `json:"$createdAt"`
	UpdatedAt         string          `json:"$updatedAt"`
	Name              string          `json:"name"`
	Password          string          `json:"password"`
	Hash              string          `json:"hash"`
	HashOptions       hashOptions     `json:"hashOptions"`
	Status            *bool           `json:"status"`
	Labels            []string        `json:"labels"`
	PasswordUpdate    string          `json:"passwordUpdate"`
	Email             string          `json:"email"`
	Phone             string          `json:"phone"`
	EmailVerification bool            `json:"emailVerification"`
	PhoneVerification bool            `json:"phoneVerification"`
	Prefs             json.RawMessage `json:"prefs"`
	AccessedAt        string          `json:"accessedAt"`
}

// hashOptions are Appwrite's hashOptions, by kind.
type hashOptions struct {
	Salt          string `json:"salt"`
	SaltSeparator string `json:"saltSeparator"`
	SignerKey     string `json:"signerKey"`
	CostCPU       int    `json:"costCpu"`
	CostMemory    int    `json:"costMemory"`
	CostParallel  int    `json:"costParallel"`
	Length        int    `json:"length"`
	Version       string `json:"version"`
}

// decodeJSONRow reads one row of the json format. Unknown keys are
// refused, so that a misspelt column is not silently dropped.
func decodeJSONRow(raw json.RawMessage) (*record, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var rec record
	if err := dec.Decode(&rec); err != nil {
		return nil, rowError(err)
	}
	return &rec, nil
}

// decodeAppwriteRow reads one Appwrite user model; its many fields an
// import has no use for are ignored.
func decodeAppwriteRow(raw json.RawMessage) (*record, error) {
	var u appwriteUser
	if err := json.Unmarshal(raw, &u); err != nil {
		return nil, rowError(err)
	}
	prefs := u.Prefs
	if string(prefs) == "[]" {
		// PHP writes an empty map as [].
		prefs = nil
	}
	o := u.HashOptions
	return &record{UserID: u.ID, Email: u.Email, Phone: u.Phone, Name: u.Name,
		EmailVerification: u.EmailVerification, PhoneVerification: u.PhoneVerification, Status: u.Status,
		Prefs: prefs, Labels: u.Labels, CreatedAt: u.CreatedAt, Hash: u.Hash, Password: u.Password,
		PasswordSalt: o.Salt, PasswordSaltSeparator: o.SaltSeparator, PasswordSignerKey: o.SignerKey,
		PasswordCPU: o.CostCPU, PasswordMemory: o.CostMemory, PasswordParallel: o.CostParallel,
		PasswordLength: o.Length, PasswordVersion: o.Version,
		updatedAt: u.UpdatedAt, passwordUpdate: u.PasswordUpdate, accessedAt: u.AccessedAt}, nil
}

// rowError words a row's decoding error without Go type names.
func rowError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field == "" {
		return fmt.Errorf("not a JSON object but a %s", te.Value)
	}
	if errors.As(err, &te) {
		return fmt.Errorf("field %q has the wrong type (%s)", te.Field, te.Value)
	}
	if strings.HasPrefix(err.Error(), "json: unknown field ") {
		return fmt.Errorf("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	if !strings.HasPrefix(strings.TrimSpace(err.Error()), "json:") {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	return err
}

// DetectFormat guesses the format of a file from its name and first
// bytes: csv for a .csv name; for JSON, firebase for a {"users":[…]}
// document of Firebase users (localId), appwrite when the first user is
// an Appwrite model (its id is $id) or the file is a Users API page, json
// otherwise.
func DetectFormat(name string, data []byte) string {
	if strings.HasSuffix(strings.ToLower(name), ".csv") {
		return "csv"
	}
	first := bytes.TrimLeft(data, " \t\r\n\ufeff[")
	if isPage(first) {
		if bytes.Contains(first[:min(len(first), 4096)], []byte(`"localId"`)) {
			return "firebase"
		}
		return "appwrite"
	}
	var probe map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(first))
	if dec.Decode(&probe) == nil {
		if _, ok := probe["$id"]; ok {
			return "appwrite"
		}
	}
	if len(first) > 0 && first[0] != '{' {
		return "csv"
	}
	return "json"
}

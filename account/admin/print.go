package admin

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// datetime is Appwrite's date format, which the JSON output keeps.
const datetime = "2006-01-02T15:04:05.000-07:00"

// printer writes results as lines or as JSON.
type printer struct {
	json bool
	out  io.Writer
	tw   *tabwriter.Writer
	// listed counts the users list wrote, for the JSON separators.
	listed int
}

func newPrinter(o Options) *printer {
	out := o.Stdout
	if out == nil {
		out = io.Discard
	}
	return &printer{json: o.JSON, out: out}
}

// userJSON is a user as the JSON output shows it, with the Users API's
// field names. The password hash is never shown, only whether there is one.
type userJSON struct {
	ID                string `json:"$id"`
	CreatedAt         string `json:"$createdAt"`
	UpdatedAt         string `json:"$updatedAt"`
	Name              string `json:"name"`
	Email             string `json:"email"`
	Phone             string `json:"phone"`
	Status            bool   `json:"status"`
	EmailVerification bool   `json:"emailVerification"`
	PhoneVerification bool   `json:"phoneVerification"`
	Registration      string `json:"registration"`
	PasswordSet       bool   `json:"passwordSet"`
	// Hash is the kind of the password hash (argon2, or an imported kind
	// until the user's next sign-in), as Appwrite's hash field names it.
	Hash           string          `json:"hash"`
	PasswordUpdate string          `json:"passwordUpdate"`
	AccessedAt     string          `json:"accessedAt"`
	Prefs          json.RawMessage `json:"prefs"`
	Labels         []string        `json:"labels"`
}

func userOf(u *core.User) userJSON {
	prefs := u.Prefs
	if !json.Valid(prefs) {
		prefs = json.RawMessage("{}")
	}
	return userJSON{ID: u.ID, CreatedAt: date(u.CreatedAt), UpdatedAt: date(u.UpdatedAt), Name: u.Name,
		Email: u.Email, Phone: u.Phone, Status: u.Status, EmailVerification: u.EmailVerification,
		PhoneVerification: u.PhoneVerification, Registration: date(u.Registration),
		PasswordSet: u.PasswordHash != "", Hash: core.PasswordHashKind(u.PasswordHash), PasswordUpdate: date(u.PasswordUpdate),
		AccessedAt: date(u.AccessedAt), Prefs: prefs, Labels: labelsOf(u)}
}

// LabelsOf is the user's labels, [] for none.
func labelsOf(u *core.User) []string {
	if u.Labels == nil {
		return []string{}
	}
	return u.Labels
}

// sessionJSON is a session as show --json lists it; no secret is shown.
type sessionJSON struct {
	ID          string `json:"$id"`
	CreatedAt   string `json:"$createdAt"`
	Expire      string `json:"expire"`
	Provider    string `json:"provider"`
	IP          string `json:"ip"`
	CountryCode string `json:"countryCode"`
	ClientName  string `json:"clientName"`
	OSName      string `json:"osName"`
}

func sessionOf(s *core.Session) sessionJSON {
	return sessionJSON{ID: s.ID, CreatedAt: date(s.CreatedAt), Expire: date(s.Expire), Provider: s.Provider,
		IP: s.IP, CountryCode: s.CountryCode, ClientName: s.Device.ClientName, OSName: s.Device.OSName}
}

// date formats t as Appwrite does; the zero time is "".
func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(datetime)
}

// shortDate is date for people: to the second, in UTC.
func shortDate(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func statusWord(u *core.User) string {
	if u.Status {
		return "active"
	}
	return "blocked"
}

// orDash shows an empty field as "-", so columns stay apart.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cell makes s safe for one tab-separated cell on one line: a name may
// hold any character.
func cell(s string) string {
	return orDash(strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s))
}

func (p *printer) startList() {
	if p.json {
		fmt.Fprint(p.out, `{"users":[`)
		return
	}
	p.tw = tabwriter.NewWriter(p.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(p.tw, "ID\tEMAIL\tNAME\tSTATUS\tCREATED")
}

func (p *printer) listUser(u *core.User) {
	if p.json {
		if p.listed > 0 {
			fmt.Fprint(p.out, ",")
		}
		b, _ := json.Marshal(userOf(u))
		p.out.Write(b)
	} else {
		fmt.Fprintf(p.tw, "%s\t%s\t%s\t%s\t%s\n", cell(u.ID), cell(u.Email), cell(u.Name), statusWord(u), shortDate(u.CreatedAt))
	}
	p.listed++
}

// flush writes out the lines of the users listed so far.
func (p *printer) flush() error {
	if p.json {
		return nil
	}
	return p.tw.Flush()
}

func (p *printer) endList() error {
	if p.json {
		_, err := fmt.Fprintln(p.out, "]}")
		return err
	}
	return p.tw.Flush()
}

// details prints one user and their sessions.
func (p *printer) details(u *core.User, sessions []*core.Session) error {
	if p.json {
		out := struct {
			userJSON
			Sessions []sessionJSON `json:"sessions"`
		}{userJSON: userOf(u), Sessions: []sessionJSON{}}
		for _, s := range sessions {
			out.Sessions = append(out.Sessions, sessionOf(s))
		}
		return p.encode(out)
	}
	tw := tabwriter.NewWriter(p.out, 0, 4, 1, ' ', 0)
	for _, row := range [][2]string{
		{"id", u.ID}, {"email", u.Email}, {"phone", u.Phone}, {"name", u.Name},
		{"status", statusWord(u)}, {"labels", strings.Join(u.Labels, ",")},
		{"email verified", strconv.FormatBool(u.EmailVerification)},
		{"phone verified", strconv.FormatBool(u.PhoneVerification)},
		{"password", map[bool]string{true: "set (" + core.PasswordHashKind(u.PasswordHash) + ")", false: "none"}[u.PasswordHash != ""]},
		{"created", shortDate(u.CreatedAt)}, {"updated", shortDate(u.UpdatedAt)},
		{"password updated", shortDate(u.PasswordUpdate)}, {"accessed", shortDate(u.AccessedAt)},
		{"sessions", strconv.Itoa(len(sessions))},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", row[0], cell(row[1]))
	}
	for _, s := range sessions {
		fmt.Fprintf(tw, "  %s\t%s, from %s, created %s, expires %s\n", cell(s.ID), cell(s.Provider), cell(s.IP),
			shortDate(s.CreatedAt), shortDate(s.Expire))
	}
	return tw.Flush()
}

// changed prints a changed user: the user as JSON, or the sentence.
func (p *printer) changed(u *core.User, format string, args ...any) error {
	return p.result(userOf(u), format, args...)
}

// result prints v as JSON, or the sentence.
func (p *printer) result(v any, format string, args ...any) error {
	if p.json {
		return p.encode(v)
	}
	_, err := fmt.Fprintf(p.out, format+"\n", args...)
	return err
}

func (p *printer) encode(v any) error {
	enc := json.NewEncoder(p.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

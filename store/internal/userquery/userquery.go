// Package userquery writes the SQL of the stores' QueryUsers and
// CountUsers, which SQLite and PostgreSQL share but for a few spellings.
// Every query is a bounded read: the filters use the unique email and
// phone keys, the (status, seq) index and the (label, user_seq) key of
// user_labels; pages follow the seq key in either direction from the
// cursor, and counts stop at their cap. Search words have no index: they
// are tested on the rows the other conditions and the seq order give,
// and the read stops once the page (or the count's cap) is full. The
// total of an unfiltered list is the sum of user_count's few rows.
package userquery

import (
	"strconv"
	"strings"

	"github.com/accountgate/accountgate/account/core"
)

// Dialect is how a backend spells what differs.
type Dialect struct {
	// Placeholder is the n-th (from 1) argument's placeholder.
	Placeholder func(n int) string
	// Contains tests whether the text expression hay contains the
	// text argument needle.
	Contains func(hay, needle string) string
}

// SQLite is SQLite's dialect.
var SQLite = Dialect{
	Placeholder: func(int) string { return "?" },
	Contains:    func(hay, needle string) string { return "instr(" + hay + ", " + needle + ") > 0" },
}

// Postgres is PostgreSQL's dialect.
var Postgres = Dialect{
	Placeholder: func(n int) string { return "$" + strconv.Itoa(n) },
	Contains:    func(hay, needle string) string { return "strpos(" + hay + ", " + needle + ") > 0" },
}

// searchText is what search words are looked for in, lowercased.
const searchText = `lower(id || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '') || ' ' || name)`

// builder collects conditions and their arguments.
type builder struct {
	d     Dialect
	conds []string
	args  []any
}

func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return b.d.Placeholder(len(b.args))
}

// in is "column IN (values)".
func in[T any](b *builder, column string, values []T) {
	ph := make([]string, len(values))
	for i, v := range values {
		ph[i] = b.arg(v)
	}
	b.conds = append(b.conds, column+" IN ("+strings.Join(ph, ", ")+")")
}

// filter adds f's conditions. seqBound, when not nil, gives the
// cursor's condition on a seq (e.g. "> $3"), repeated inside the label
// subquery: the planner does not carry it over from users.seq to
// user_labels, and without it a label's page would be read from the
// label's first user, not from the cursor.
func (b *builder) filter(f core.UserFilter, seqBound func() string) {
	if f.Emails != nil {
		in(b, "email", f.Emails)
	}
	if f.Phones != nil {
		in(b, "phone", f.Phones)
	}
	if f.Status != nil {
		in(b, "status", f.Status)
	}
	if f.Labels != nil {
		ph := make([]string, len(f.Labels))
		for i, l := range f.Labels {
			ph[i] = b.arg(l)
		}
		sub := "seq IN (SELECT user_seq FROM user_labels WHERE label IN (" + strings.Join(ph, ", ") + ")"
		if seqBound != nil {
			sub += " AND user_seq " + seqBound()
		}
		b.conds = append(b.conds, sub+")")
	}
	for _, w := range f.Search {
		b.conds = append(b.conds, b.d.Contains(searchText, b.arg(w)))
	}
}

func (b *builder) where() string {
	if len(b.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(b.conds, " AND ")
}

// Page is the query of one page of q, reading columns. cursor is the
// seq of q.Cursor (ignored when q.Cursor is ""). The rows come in the
// order they are read; when reverse, the page is that order reversed
// (a page before the cursor is read away from it).
func Page(d Dialect, columns string, q core.UserQuery, cursor int64) (query string, args []any, reverse bool) {
	b := &builder{d: d}
	// Reading newest first: orderDesc after the cursor, or orderAsc
	// before it.
	backward := q.Desc != q.Before
	var bound func() string
	if q.Cursor != "" {
		op := "> "
		if backward {
			op = "< "
		}
		bound = func() string { return op + b.arg(cursor) }
	}
	from, key := "users", "seq"
	if f := q.Filter; len(f.Labels) == 1 {
		// One label: read its users in the order of its user_labels key
		// range and join each, so that a page costs its own rows whether
		// the label is common or rare (an IN list would be built from
		// all the label's users first on SQLite).
		from, key = "user_labels JOIN users ON seq = user_seq", "user_seq"
		b.conds = append(b.conds, "label = "+b.arg(f.Labels[0]))
		f.Labels = nil
		if bound != nil {
			// On both sides: PostgreSQL does not carry a bound across
			// the join, and would merge from the first user.
			b.conds = append(b.conds, "user_seq "+bound(), "seq "+bound())
		}
		b.filter(f, nil)
	} else {
		b.filter(q.Filter, bound)
		if bound != nil {
			b.conds = append(b.conds, "seq "+bound())
		}
	}
	order := " ORDER BY " + key
	if backward {
		order += " DESC"
	}
	query = "SELECT " + columns + " FROM " + from + b.where() + order +
		" LIMIT " + b.arg(q.Limit) + " OFFSET " + b.arg(q.Offset)
	return query, b.args, q.Before
}

// Count is the query counting the users matching f, up to max (or
// beyond: the caller caps it). Without a filter it sums user_count,
// which triggers keep, instead of reading max rows.
func Count(d Dialect, f core.UserFilter, max int) (string, []any) {
	if f.Emails == nil && f.Phones == nil && f.Status == nil && f.Labels == nil && f.Search == nil {
		return "SELECT coalesce(sum(n), 0) FROM user_count", nil
	}
	b := &builder{d: d}
	// One label alone is counted in its own key range of user_labels,
	// without a join that the planner would drive from users.
	if f.Emails == nil && f.Phones == nil && f.Status == nil && f.Search == nil && len(f.Labels) == 1 {
		return "SELECT count(*) FROM (SELECT 1 FROM user_labels WHERE label = " + b.arg(f.Labels[0]) +
			" LIMIT " + b.arg(max) + ") AS matching", b.args
	}
	b.filter(f, nil)
	return "SELECT count(*) FROM (SELECT 1 FROM users" + b.where() + " LIMIT " + b.arg(max) + ") AS matching", b.args
}

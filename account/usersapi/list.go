package usersapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
)

// defaultUserLimit is a page of GET /v1/users without a limit query.
const defaultUserLimit = 25

// userQueries are the queries GET /v1/users takes.
type userQueries struct {
	limit, offset int
	// cursor is the id of cursorAfter or cursorBefore (before set).
	cursor string
	before bool
	desc   bool
	// equal holds the equal filters by attribute: any value matches.
	equal map[string][]any
}

// parseUserQueries reads limit, offset, cursorAfter, cursorBefore,
// orderAsc/orderDesc on $createdAt and equal on email, phone, status and
// labels (a user matches when one of their labels is one of the values),
// in the 1.3 syntax or today's JSON one; the first limit, offset, cursor
// and order win. Other queries are refused, not ignored: a filter that is
// not applied would list users the caller did not ask for.
func parseUserQueries(q url.Values) (userQueries, error) {
	out := userQueries{limit: defaultUserLimit, equal: map[string][]any{}}
	seen := map[string]bool{}
	for _, raw := range httpapi.QueryValues(q) {
		uq, err := userQuery(raw)
		if err != nil {
			return out, err
		}
		kind := uq.method
		switch kind {
		case "cursorAfter", "cursorBefore":
			kind = "cursor"
		case "orderAsc", "orderDesc":
			kind = "order"
		}
		if kind != "equal" && seen[kind] {
			continue
		}
		seen[kind] = true
		if err := out.apply(uq); err != nil {
			return out, err
		}
	}
	return out, nil
}

// apply adds one parsed query to q.
func (q *userQueries) apply(uq parsedQuery) error {
	invalid := func(format string, args ...any) error {
		return httpapi.ArgumentError("Invalid queries: Query not valid: "+format, args...)
	}
	switch uq.method {
	case "limit", "offset":
		n, ok := 0, len(uq.values) == 1
		if ok {
			n, ok = httpapi.QueryInt(string(uq.values[0]))
		}
		if !ok || n < 0 || (uq.method == "limit" && n > MaxListUsers) {
			upper := "9,223,372,036,854,775,807"
			if uq.method == "limit" {
				upper = strconv.Itoa(MaxListUsers)
			}
			return invalid("Invalid %s: Value must be a valid range between 0 and %s", uq.method, upper)
		}
		if uq.method == "limit" {
			q.limit = n
		} else {
			q.offset = n
		}
	case "cursorAfter", "cursorBefore":
		var id string
		if len(uq.values) != 1 || json.Unmarshal(uq.values[0], &id) != nil || !core.ValidKey(id) {
			return invalid("Invalid cursor: %s", core.DescUID)
		}
		q.cursor, q.before = id, uq.method == "cursorBefore"
	case "orderAsc", "orderDesc":
		if uq.attribute != "" && uq.attribute != "$createdAt" {
			return invalid("Attribute not found in schema: %s", uq.attribute)
		}
		q.desc = uq.method == "orderDesc"
	case "equal":
		switch uq.attribute {
		case "email", "phone", "status", "labels":
		default:
			return invalid("Attribute not found in schema: %s", uq.attribute)
		}
		if len(uq.values) == 0 {
			return invalid("Equal queries require at least one value.")
		}
		for _, raw := range uq.values {
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				return invalid("Invalid value for %s", uq.attribute)
			}
			q.equal[uq.attribute] = append(q.equal[uq.attribute], v)
		}
	default:
		return httpapi.ArgumentError("Invalid queries: Query method not valid: %s", uq.method)
	}
	return nil
}

// parsedQuery is one query in either syntax.
type parsedQuery struct {
	method, attribute string
	values            []json.RawMessage
}

// userQuery parses one query: today's JSON object, or the 1.3 syntax
// method(args), whose arguments read as a JSON list: "attribute", then a
// value or a list of values.
func userQuery(raw string) (parsedQuery, error) {
	bad := httpapi.ArgumentError("Invalid queries: Invalid query: %s", raw)
	s := strings.TrimSpace(raw)
	if len(s) > httpapi.MaxQueryLength {
		return parsedQuery{}, bad
	}
	if strings.HasPrefix(s, "{") {
		var jq httpapi.JSONQuery
		if err := json.Unmarshal([]byte(s), &jq); err != nil || !httpapi.ValidQueryMethod(jq.Method) {
			return parsedQuery{}, bad
		}
		var attr string
		if len(jq.Attribute) > 0 && json.Unmarshal(jq.Attribute, &attr) != nil {
			return parsedQuery{}, bad
		}
		return parsedQuery{method: jq.Method, attribute: attr, values: jq.Values}, nil
	}
	open := strings.IndexByte(s, '(')
	if open <= 0 || !strings.HasSuffix(s, ")") {
		return parsedQuery{}, bad
	}
	pq := parsedQuery{method: strings.TrimSpace(s[:open])}
	if !httpapi.ValidQueryMethod(pq.method) {
		return parsedQuery{}, bad
	}
	var args []json.RawMessage
	if inner := strings.TrimSpace(s[open+1 : len(s)-1]); inner != "" {
		if err := json.Unmarshal([]byte("["+inner+"]"), &args); err != nil {
			return parsedQuery{}, bad
		}
	}
	switch pq.method {
	case "limit", "offset", "cursorAfter", "cursorBefore":
		pq.values = args
	default:
		if len(args) > 0 && json.Unmarshal(args[0], &pq.attribute) != nil {
			return parsedQuery{}, bad
		}
		if len(args) > 1 {
			var list []json.RawMessage
			if json.Unmarshal(args[1], &list) != nil {
				list = args[1:2]
			}
			pq.values = list
		}
	}
	return pq, nil
}

// filter is the store filter of q's equal queries and the search words.
// none reports a filter nothing can match: a value of the wrong type
// (a number for an email), as Appwrite finds no such user either.
func (q *userQueries) filter(words []string) (f core.UserFilter, none bool) {
	strs := func(vals []any) []string {
		out := []string{}
		for _, v := range vals {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	for attr, vals := range q.equal {
		switch attr {
		case "email":
			f.Emails = strs(vals)
			none = none || len(f.Emails) == 0
		case "phone":
			f.Phones = strs(vals)
			none = none || len(f.Phones) == 0
		case "labels":
			f.Labels = strs(vals)
			none = none || len(f.Labels) == 0
		case "status":
			f.Status = []bool{}
			for _, v := range vals {
				if b, ok := v.(bool); ok {
					f.Status = append(f.Status, b)
				}
			}
			none = none || len(f.Status) == 0
		}
	}
	if len(words) > 0 {
		f.Search = words
	}
	return f, none
}

// usersList is GET /v1/users: one bounded store query for the page and
// one for the total (capped at maxUserCount, skipped with total=false),
// whatever the number of users.
func (s *Users) usersList(w http.ResponseWriter, r *httpapi.Request) error {
	q, err := parseUserQueries(r.URL.Query())
	if err != nil {
		return err
	}
	search, _, err := r.Params.String("search", core.DescText(256))
	if err != nil {
		return err
	}
	if len(search) > 256 {
		return core.InvalidParam("search", core.DescText(256))
	}
	f, none := q.filter(strings.Fields(strings.ToLower(search)))
	out := userListModel{Users: []httpapi.AccountModel{}}
	var page []*core.User
	if none {
		// Nothing to list, but the cursor is still checked.
		if q.cursor != "" {
			_, err = s.Store.UserByID(r.Context(), q.cursor)
		}
	} else {
		page, err = s.Store.QueryUsers(r.Context(), core.UserQuery{Filter: f, Cursor: q.cursor, Before: q.before,
			Desc: q.desc, Offset: q.offset, Limit: q.limit})
	}
	if errors.Is(err, core.ErrNotFound) {
		// The cursor must name a user, as Appwrite checks it.
		return core.Errorf(core.ErrGeneralCursorNotFound, "User '%s' for the 'cursor' value not found.", q.cursor)
	}
	if err != nil {
		return err
	}
	if !none && r.URL.Query().Get("total") != "false" {
		if out.Total, err = s.Store.CountUsers(r.Context(), f, maxUserCount); err != nil {
			return err
		}
	}
	for _, u := range page {
		out.Users = append(out.Users, httpapi.RenderAccount(u))
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

// maxUserCount caps the total of a user list, as Appwrite's
// APP_LIMIT_COUNT does: counting stops there.
const maxUserCount = 5000

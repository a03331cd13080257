package account

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// defaultUserLimit is a page of GET /v1/users without a limit query.
const defaultUserLimit = 25

// userQueries are the queries GET /v1/users takes.
type userQueries struct {
	limit, offset int
	cursorAfter   string
}

// parseUserQueries reads limit(n), offset(n) and cursorAfter("id"), in
// the 1.3 syntax or today's JSON one; the first of each wins. Other
// query methods are refused, not ignored: a filter that is not applied
// would list users the caller did not ask for.
func parseUserQueries(q url.Values) (userQueries, error) {
	out := userQueries{limit: defaultUserLimit}
	var seen = map[string]bool{}
	for _, raw := range queryValues(q) {
		method, arg, err := userQuery(raw)
		if err != nil {
			return out, err
		}
		if seen[method] {
			continue
		}
		seen[method] = true
		switch method {
		case "limit", "offset":
			n, ok := queryInt(arg)
			if !ok || n < 0 || (method == "limit" && n > MaxListUsers) {
				upper := "9,223,372,036,854,775,807"
				if method == "limit" {
					upper = strconv.Itoa(MaxListUsers)
				}
				return out, argumentError("Invalid queries: Query not valid: Invalid %s: Value must be a valid range between 0 and %s", method, upper)
			}
			if method == "limit" {
				out.limit = n
			} else {
				out.offset = n
			}
		case "cursorAfter":
			if !validKey(arg) {
				return out, argumentError("Invalid queries: Query not valid: Invalid cursor: %s", descUID)
			}
			out.cursorAfter = arg
		default:
			return out, argumentError("Invalid queries: Query method not valid: %s", method)
		}
	}
	return out, nil
}

// userQuery splits one query into its method and its single argument,
// unquoted for strings.
func userQuery(raw string) (method, arg string, err error) {
	bad := argumentError("Invalid queries: Invalid query: %s", raw)
	s := strings.TrimSpace(raw)
	if !strings.HasPrefix(s, "{") {
		method, arg, err = parseQuery(s)
		if err != nil || method == "limit" || method == "offset" {
			return method, arg, err
		}
		if method == "cursorAfter" {
			if len(arg) < 2 || (arg[0] != '"' && arg[0] != '\'') || arg[len(arg)-1] != arg[0] {
				return "", "", bad
			}
			arg = arg[1 : len(arg)-1]
		}
		return method, arg, nil
	}
	if len(s) > maxQueryLength {
		return "", "", bad
	}
	var jq jsonQuery
	if err := json.Unmarshal([]byte(s), &jq); err != nil || !validQueryMethod(jq.Method) {
		return "", "", bad
	}
	switch jq.Method {
	case "limit", "offset":
		if len(jq.Values) != 1 {
			return "", "", bad
		}
		return jq.Method, string(jq.Values[0]), nil
	case "cursorAfter":
		if len(jq.Values) != 1 || json.Unmarshal(jq.Values[0], &arg) != nil {
			return "", "", bad
		}
		return jq.Method, arg, nil
	}
	return jq.Method, "", nil
}

// searchMatches reports whether every word of search occurs in the
// user's id, email, phone or name, letter case aside.
func searchMatches(u *User, words []string) bool {
	hay := strings.ToLower(u.ID + " " + u.Email + " " + u.Phone + " " + u.Name)
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

// usersList is GET /v1/users: users in creation order, after the cursor
// and offset, with the total of those matching the search.
func (s *Service) usersList(w http.ResponseWriter, r *request) error {
	q, err := parseUserQueries(r.URL.Query())
	if err != nil {
		return err
	}
	search, _, err := r.params.stringParam("search", descText(256))
	if err != nil {
		return err
	}
	if len(search) > 256 {
		return invalidParam("search", descText(256))
	}
	words := strings.Fields(strings.ToLower(search))
	out := userListModel{Users: []accountModel{}}
	// The cursor must name a user, as Appwrite checks it.
	if q.cursorAfter != "" {
		if _, err := s.User(r.Context(), q.cursorAfter); err != nil {
			return argumentError("Invalid cursor: Document '%s' not found.", q.cursorAfter)
		}
	}
	pastCursor := q.cursorAfter == ""
	skip := q.offset
	err = s.scanUsers(r.Context(), func(u *User) bool {
		if !searchMatches(u, words) {
			return true
		}
		out.Total++
		switch {
		case !pastCursor:
			pastCursor = u.ID == q.cursorAfter
		case skip > 0:
			skip--
		case len(out.Users) < q.limit:
			out.Users = append(out.Users, renderAccount(u))
		}
		return true
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// boolParam reads a required boolean parameter: JSON true or false, or
// in a form "true", "false", "1" or "0", as Appwrite's loose validator
// takes them.
func (p *params) boolParam(name string) (bool, error) {
	bad := argumentError("Invalid %s: Value must be a valid boolean", name)
	if !p.has(name) {
		return false, argumentError("Param \"%s\" is not optional.", name)
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

// readPrefsParam reads the required prefs object, compacted, within
// Appwrite's size limit.
func readPrefsParam(p *params) (json.RawMessage, error) {
	if !p.has("prefs") {
		return nil, argumentError("Param \"prefs\" is not optional.")
	}
	raw := bytes.TrimSpace(p.json["prefs"])
	if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) || appwriteJSONLen(raw) > maxPrefsBytes {
		return nil, invalidParam("prefs", descPrefs)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, invalidParam("prefs", descPrefs)
	}
	return json.RawMessage(compact.Bytes()), nil
}

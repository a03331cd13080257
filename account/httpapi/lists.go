package httpapi

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/accountgate/accountgate/account/core"
)

// Paging of GET /v1/account/logs (part A item 8).
const (
	DefaultLogLimit = 25
	MaxLogLimit     = 100
)

// LogModel is the Appwrite `log` model.
type LogModel struct {
	Event     string `json:"event"`
	UserID    string `json:"userId"`
	UserEmail string `json:"userEmail"`
	UserName  string `json:"userName"`
	Mode      string `json:"mode"`
	IP        string `json:"ip"`
	Time      string `json:"time"`
	DeviceModel
	CountryCode string `json:"countryCode"`
	CountryName string `json:"countryName"`
}

type LogListModel struct {
	Total int        `json:"total"`
	Logs  []LogModel `json:"logs"`
}

func RenderLog(e *core.LogEntry) LogModel {
	country := e.CountryCode
	if country == "" {
		country = "--"
	}
	return LogModel{
		Event: e.Event, UserID: e.UserID, UserEmail: e.UserEmail, UserName: e.UserName, Mode: e.Mode,
		IP: e.IP, Time: FormatTime(e.Time),
		DeviceModel: DeviceModel(e.Device),
		CountryCode: country, CountryName: CountryName(country),
	}
}

// QueryValues collects the queries parameter in any of its spellings:
// queries[]=…, queries[0]=…, queries=….
func QueryValues(q url.Values) []string {
	var out []string
	for key, vals := range q {
		if key == "queries" || key == "queries[]" || (strings.HasPrefix(key, "queries[") && strings.HasSuffix(key, "]")) {
			out = append(out, vals...)
		}
	}
	return out
}

// ParseLogQueries reads the logs' limit and offset queries.
func ParseLogQueries(q url.Values) (limit, offset int, err error) {
	return ParsePaging(q, DefaultLogLimit, MaxLogLimit)
}

// ParsePaging reads limit(n) and offset(n) queries, in the Appwrite 1.3
// syntax or today's JSON one ({"method":"limit","values":[n]}); the first
// of each wins. Any other query method is refused.
func ParsePaging(q url.Values, defaultLimit, maxLimit int) (limit, offset int, err error) {
	limit, offset = defaultLimit, 0
	var seenLimit, seenOffset bool
	for _, raw := range QueryValues(q) {
		method, arg, err := parseQuery(raw)
		if err != nil {
			return 0, 0, err
		}
		switch method {
		case "limit", "offset":
		default:
			return 0, 0, ArgumentError("Invalid queries: Query method not valid: %s", method)
		}
		n, ok := QueryInt(arg)
		if !ok || n < 0 || (method == "limit" && n > maxLimit) {
			upper := "9,223,372,036,854,775,807"
			if method == "limit" {
				upper = strconv.Itoa(maxLimit)
			}
			return 0, 0, ArgumentError("Invalid queries: Query not valid: Invalid %s: Value must be a valid range between 0 and %s", method, upper)
		}
		switch {
		case method == "limit" && !seenLimit:
			limit, seenLimit = n, true
		case method == "offset" && !seenOffset:
			offset, seenOffset = n, true
		}
	}
	return limit, offset, nil
}

// MaxQueryLength bounds one query in either syntax.
const MaxQueryLength = 4096

// parseQuery splits one query into its method and, for limit and offset,
// its single argument: `method(arg)` (1.3; spaces outside quotes are
// ignored) or a JSON object {"method":…,"attribute":…,"values":[…]}.
func parseQuery(raw string) (method, arg string, err error) {
	bad := ArgumentError("Invalid queries: Invalid query: %s", raw)
	s := strings.TrimSpace(raw)
	if strings.HasPrefix(s, "{") {
		return parseJSONQuery(s, bad)
	}
	open := strings.IndexByte(s, '(')
	if open <= 0 || !strings.HasSuffix(s, ")") || len(s) > 256 {
		return "", "", bad
	}
	method = strings.TrimSpace(s[:open])
	if !ValidQueryMethod(method) {
		return "", "", bad
	}
	arg = strings.TrimSpace(s[open+1 : len(s)-1])
	if method != "limit" && method != "offset" {
		// Any other method, with whatever arguments, is one we do not take.
		return method, arg, nil
	}
	if strings.Contains(arg, ",") || arg == "" {
		return "", "", bad
	}
	return method, arg, nil
}

// JSONQuery is today's query syntax.
type JSONQuery struct {
	Method    string            `json:"method"`
	Attribute json.RawMessage   `json:"attribute"`
	Values    []json.RawMessage `json:"values"`
}

// parseJSONQuery reads a query in today's syntax. limit and offset take
// exactly one value, a number (or a numeric string).
func parseJSONQuery(s string, bad *core.Error) (method, arg string, err error) {
	if len(s) > MaxQueryLength {
		return "", "", bad
	}
	var q JSONQuery
	if err := json.Unmarshal([]byte(s), &q); err != nil || !ValidQueryMethod(q.Method) {
		return "", "", bad
	}
	if q.Method != "limit" && q.Method != "offset" {
		return q.Method, "", nil
	}
	if len(q.Values) != 1 {
		return "", "", bad
	}
	return q.Method, string(q.Values[0]), nil
}

// ValidQueryMethod: a method name is letters only.
func ValidQueryMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// QueryInt reads an integer argument, bare or as a quoted numeric string.
func QueryInt(arg string) (int, bool) {
	if len(arg) >= 2 && (arg[0] == '"' || arg[0] == '\'') && arg[len(arg)-1] == arg[0] {
		arg = arg[1 : len(arg)-1]
	}
	n, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || n > 1<<31 {
		return 0, false
	}
	return int(n), true
}

// Paging of GET /v1/account/identities, as Appwrite's list routes.
const (
	DefaultIdentityLimit = 25
	MaxIdentityLimit     = 5000
)

// IdentityListModel is the Appwrite `identityList` model.
type IdentityListModel struct {
	Total      int             `json:"total"`
	Identities []IdentityModel `json:"identities"`
}

func RenderIdentity(i *core.LinkedIdentity) IdentityModel {
	created := FormatTime(i.CreatedAt)
	return IdentityModel{ID: i.ID, CreatedAt: created, UpdatedAt: created, UserID: i.UserID,
		Provider: i.Provider, ProviderUID: i.ProviderUID, ProviderEmail: i.ProviderEmail}
}

// RenderLogs is the logList model of one page of entries out of total.
func RenderLogs(entries []*core.LogEntry, total int) LogListModel {
	out := LogListModel{Total: total, Logs: make([]LogModel, 0, len(entries))}
	for _, e := range entries {
		out.Logs = append(out.Logs, RenderLog(e))
	}
	return out
}

// RenderIdentities is the identityList model of the page of all that
// limit and offset select.
func RenderIdentities(all []*core.LinkedIdentity, limit, offset int) IdentityListModel {
	out := IdentityListModel{Total: len(all), Identities: []IdentityModel{}}
	for i := offset; i < len(all) && i < offset+limit; i++ {
		out.Identities = append(out.Identities, RenderIdentity(all[i]))
	}
	return out
}

package account_test

import (
	"encoding/json"
	"net/url"
	"testing"
)

func TestLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.signUp("log@example.com", "password123")
	c, _ := e.signIn("log@example.com", "password123")
	e.signIn("log@example.com", "password123")
	h := cookieHeader(c)
	h["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.77 Safari/537.36"
	e.do("PATCH", "/v1/account/name", `{"name":"Renamed"}`, h)

	type list struct {
		Total int              `json:"total"`
		Logs  []map[string]any `json:"logs"`
	}
	get := func(queries ...string) (list, response) {
		q := url.Values{}
		for _, s := range queries {
			q.Add("queries[]", s)
		}
		r := e.do("GET", "/v1/account/logs?"+q.Encode(), "", h)
		var l list
		json.Unmarshal([]byte(r.body), &l)
		return l, r
	}
	all, r := get()
	if r.status != 200 || all.Total != 4 || len(all.Logs) != 4 {
		t.Fatalf("logs: %d %s", r.status, r.body)
	}
	wantEvents := []string{"user.update", "session.create", "session.create", "user.create"}
	for i, ev := range wantEvents {
		if all.Logs[i]["event"] != ev {
			t.Errorf("logs[%d].event = %v, want %s", i, all.Logs[i]["event"], ev)
		}
	}
	newest := all.Logs[0]
	if newest["userName"] != "Renamed" || newest["userEmail"] != "log@example.com" || newest["mode"] != "default" ||
		newest["osCode"] != "WIN" || newest["clientName"] != "Chrome" || newest["countryCode"] != "--" || newest["countryName"] != "Unknown" ||
		!isoMillis.MatchString(newest["time"].(string)) {
		t.Errorf("newest log: %v", newest)
	}
	if l, _ := get("limit(1)"); len(l.Logs) != 1 || l.Total != 4 || l.Logs[0]["event"] != "user.update" {
		t.Errorf("limit(1): %+v", l)
	}
	if l, _ := get("offset(1)"); len(l.Logs) != 3 || l.Logs[0]["event"] != "session.create" {
		t.Errorf("offset(1): %+v", l)
	}
	if l, _ := get("limit(1)", "offset(3)"); len(l.Logs) != 1 || l.Logs[0]["event"] != "user.create" {
		t.Errorf("limit(1) offset(3): %+v", l)
	}
	if l, _ := get(`limit("2")`, "limit(1)"); len(l.Logs) != 2 {
		t.Errorf("first limit wins, quoted numbers accepted: %+v", l)
	}
	for q, msg := range map[string]string{
		"limit(101)":     "Invalid queries: Query not valid: Invalid limit: Value must be a valid range between 0 and 100",
		"limit(-1)":      "Invalid queries: Query not valid: Invalid limit: Value must be a valid range between 0 and 100",
		"offset(-1)":     "Invalid queries: Query not valid: Invalid offset: Value must be a valid range between 0 and 9,223,372,036,854,775,807",
		"equal(\"a\",1)": "Invalid queries: Query method not valid: equal",
		"limit(1,2)":     "Invalid queries: Invalid query: limit(1,2)",
		"orderDesc(x)":   "Invalid queries: Query method not valid: orderDesc",
		"limit":          "Invalid queries: Invalid query: limit",
		"x.limit(1)":     "Invalid queries: Invalid query: x.limit(1)",
	} {
		_, r := get(q)
		checkError(t, r, 400, "general_argument_invalid", msg)
	}
}

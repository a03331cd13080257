package account_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/core"
)

// TestUsersAPILabels: PUT /v1/users/{userId}/labels replaces the
// labels (repeats dropped, order kept), shows them in the formats that
// have them, refuses what Appwrite refuses, and the other instance's
// gate sees each change at once.
func TestUsersAPILabels(t *testing.T) {
	t.Parallel()
	p := newAdminPair(t, withKeys)
	id := p.signUp("labels@example.com", "password123")
	c, _ := p.signIn("labels@example.com", "password123")
	today := map[string]string{"X-Appwrite-Key": keyAll, "X-Appwrite-Response-Format": "1.5.0"}
	api := func(body string, headers map[string]string) response {
		t.Helper()
		return responseOf(p.admin, "PUT", "/v1/users/"+id+"/labels", body, headers)
	}
	gateLabels := func() []string {
		t.Helper()
		pr, gerr := p.svc.GateCheck(gateRequest(cookieHeader(c)))
		if gerr != nil {
			t.Fatalf("gate: %v", gerr)
		}
		if got := pr.Identity().Labels; got != strings.Join(pr.User.Labels, ",") {
			t.Fatalf("identity labels %q, user %q", got, pr.User.Labels)
		}
		return pr.User.Labels
	}
	if got := gateLabels(); got != nil {
		t.Fatalf("labels before: %q", got)
	}

	r := api(`{"labels":["vip","Beta2","vip","x"]}`, today)
	if r.status != 200 {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	if got := fmt.Sprint(r.json(t)["labels"]); got != "[vip Beta2 x]" {
		t.Fatalf("labels in the answer: %s", got)
	}
	if got := gateLabels(); !slices.Equal(got, []string{"vip", "Beta2", "x"}) {
		t.Fatalf("gate after update: %q", got)
	}
	// The 1.3 format has no labels; today's has them on every read.
	if m := responseOf(p.admin, "GET", "/v1/users/"+id, "", key(keyAll)).json(t); m["labels"] != nil {
		t.Fatalf("1.3 format shows labels: %v", m)
	}
	if m := responseOf(p.admin, "GET", "/v1/users/"+id, "", today).json(t); fmt.Sprint(m["labels"]) != "[vip Beta2 x]" {
		t.Fatalf("GET user: %v", m["labels"])
	}
	if m := p.do("GET", "/v1/account", "", map[string]string{"Cookie": cookieHeader(c)["Cookie"], "X-Appwrite-Response-Format": "1.5.0"}).json(t); fmt.Sprint(m["labels"]) != "[vip Beta2 x]" {
		t.Fatalf("GET account: %v", m["labels"])
	}

	// A form body, as PHP clients send arrays.
	form := responseOfForm(p.admin, "/v1/users/"+id+"/labels", url.Values{"labels[]": {"a1", "b2"}}, today)
	if form.status != 200 || fmt.Sprint(form.json(t)["labels"]) != "[a1 b2]" {
		t.Fatalf("form: %d %s", form.status, form.body)
	}
	// An empty list clears them.
	if r := api(`{"labels":[]}`, today); r.status != 200 || fmt.Sprint(r.json(t)["labels"]) != "[]" {
		t.Fatalf("clear: %d %s", r.status, r.body)
	}
	if got := gateLabels(); got != nil {
		t.Fatalf("gate after clearing: %q", got)
	}

	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprintf(`"l%d"`, i)
	}
	for _, tc := range []struct{ name, body, msg string }{
		{"missing", `{}`, `Param "labels" is not optional.`},
		{"null", `{"labels":null}`, `Param "labels" is not optional.`},
		{"not a list", `{"labels":"vip"}`, "Invalid labels"},
		{"not strings", `{"labels":[1]}`, "Invalid labels"},
		{"a dash", `{"labels":["a-b"]}`, "Invalid labels"},
		{"a space", `{"labels":["a b"]}`, "Invalid labels"},
		{"not ASCII", `{"labels":["zoë"]}`, "Invalid labels"},
		{"empty", `{"labels":[""]}`, "Invalid labels"},
		{"37 chars", `{"labels":["` + strings.Repeat("a", 37) + `"]}`, "Invalid labels"},
		{"1001 labels", `{"labels":[` + strings.Join(many, ",") + `]}`, "no longer than 1000 items"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkError(t, api(tc.body, key(keyAll)), 400, "general_argument_invalid", "")
			if m, _ := api(tc.body, key(keyAll)).json(t)["message"].(string); !strings.Contains(m, tc.msg) {
				t.Fatalf("message: %s, want %q", m, tc.msg)
			}
		})
	}
	// 36 chars and 1000 labels are fine.
	if r := api(`{"labels":["`+strings.Repeat("a", 36)+`",`+strings.Join(many[:999], ",")+`]}`, key(keyAll)); r.status != 200 {
		t.Fatalf("1000 labels: %d %s", r.status, r.body)
	}
	checkError(t, responseOf(p.admin, "PATCH", "/v1/users/nobody/labels", `{"labels":["a"]}`, key(keyAll)), 404, "user_not_found", "")
	checkError(t, responseOf(p.admin, "PATCH", "/v1/users/"+id+"/labels", `{"labels":["a"]}`, key(keyRead)), 401, "general_unauthorized_scope", "")

	// The admin change is in the user's log.
	logs := responseOf(p.admin, "GET", "/v1/users/"+id+"/logs", "", key(keyAll)).json(t)
	if logs["total"].(float64) < 3 {
		t.Fatalf("logs: %v", logs)
	}
}

// TestUsersAPIEqualLabels: equal("labels", …) lists the users carrying
// any of the values, in both syntaxes, with the right total.
func TestUsersAPIEqualLabels(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withKeys)
	ctx := context.Background()
	for i, labels := range [][]string{{"a"}, {"b"}, {"a", "b"}, nil, {"c"}, {"A"}} {
		id := fmt.Sprintf("u%d", i)
		if r := e.do("POST", "/v1/users", `{"userId":"`+id+`"}`, key(keyAll)); r.status != 201 {
			t.Fatal(r.body)
		}
		if _, err := e.svc.Users().SetUserLabels(ctx, id, labels); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		query string
		want  string
	}{
		{`equal("labels", ["a"])`, "u0,u2"},
		{`equal("labels", "b")`, "u1,u2"},
		{`equal("labels", ["a", "c"])`, "u0,u2,u4"},
		{`{"method":"equal","attribute":"labels","values":["A"]}`, "u5"},
		{`equal("labels", ["none"])`, ""},
	} {
		r := e.do("GET", "/v1/users?"+url.Values{"queries[]": {tc.query}}.Encode(), "", key(keyRead))
		if r.status != 200 {
			t.Fatalf("%s: %d %s", tc.query, r.status, r.body)
		}
		m := r.json(t)
		var got []string
		for _, u := range m["users"].([]any) {
			got = append(got, u.(map[string]any)["$id"].(string))
		}
		if strings.Join(got, ",") != tc.want || m["total"] != float64(len(got)) {
			t.Errorf("%s: %v (total %v), want %s", tc.query, got, m["total"], tc.want)
		}
	}
	_, err := e.svc.Users().SetUserLabels(ctx, "u0", []string{"bad label"})
	if ae := core.AsError(err); ae == nil || ae.Type != core.ErrGeneralArgumentInvalid {
		t.Fatalf("SetUserLabels with a bad label: %v", err)
	}
}

// responseOfForm sends a form-encoded PATCH to svc's API handler.
func responseOfForm(svc *account.Service, path string, form url.Values, headers map[string]string) response {
	req := httptest.NewRequest("PATCH", "http://localhost:8080"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return serve(svc, req, headers)
}

// FuzzUsersLabels: any body to PATCH /labels is a 200 with valid labels
// or a 4xx, never a 5xx.
func FuzzUsersLabels(f *testing.F) {
	e := newEnv(f, withKeys)
	if r := e.do("POST", "/v1/users", `{"userId":"fz"}`, key(keyAll)); r.status != 201 {
		f.Fatal(r.body)
	}
	for _, s := range []string{`{"labels":["a","b"]}`, `{"labels":[]}`, `{"labels":"x"}`, `{"labels":[1,null]}`, `{"labels":["a\u0000"]}`, `[]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := responseOf(e.svc, "PATCH", "/v1/users/fz/labels", body, map[string]string{"X-Appwrite-Key": keyAll, "X-Appwrite-Response-Format": "1.5.0"})
		if r.status >= 500 {
			t.Fatalf("status %d for %q: %s", r.status, body, r.body)
		}
		if r.status != 200 {
			return
		}
		labels, _ := r.json(t)["labels"].([]any)
		seen := map[string]bool{}
		for _, l := range labels {
			s, _ := l.(string)
			if _, err := core.CheckLabels([]string{s}); err != nil || seen[s] {
				t.Fatalf("stored label %q from %q", s, body)
			}
			seen[s] = true
		}
	})
}

// FuzzUsersListQueries: any queries and search to GET /v1/users, which
// become store SQL, give a 200 or a 4xx, never a 5xx.
func FuzzUsersListQueries(f *testing.F) {
	e := newEnv(f, withKeys)
	for _, id := range []string{"a", "b"} {
		if r := e.do("POST", "/v1/users", `{"userId":"`+id+`","email":"`+id+`@example.com"}`, key(keyAll)); r.status != 201 {
			f.Fatal(r.body)
		}
	}
	f.Add(`equal("labels", ["x", "y"])`, `orderDesc("")`, "a b")
	f.Add(`equal("status", [true, 1, "x"])`, `cursorBefore("b")`, "%_\\'")
	f.Add(`{"method":"equal","attribute":"email","values":[{}]}`, `limit(0)`, "")
	f.Fuzz(func(t *testing.T, q1, q2, search string) {
		v := url.Values{"queries[]": {q1, q2}, "search": {search}}
		r := responseOf(e.svc, "GET", "/v1/users?"+v.Encode(), "", key(keyRead))
		if r.status >= 500 {
			t.Fatalf("status %d for %q %q %q: %s", r.status, q1, q2, search, r.body)
		}
	})
}

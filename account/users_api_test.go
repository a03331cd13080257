package account_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
)

// Keys of the Users API tests: every scope, read only, write only.
const (
	keyAll   = "all-scopes-key-0123456789abcdefghijklmnop"
	keyRead  = "read-only-key-0123456789abcdefghijklmnopq"
	keyWrite = "write-only-key-0123456789abcdefghijklmnop"
)

func withKeys(c *core.Config) {
	c.APIKeys = []core.APIKey{
		{Name: "all", Secret: keyAll, Scopes: []string{"users.read", "users.write", "sessions.write"}},
		{Name: "read", Secret: keyRead, Scopes: []string{"users.read"}},
		{Name: "write", Secret: keyWrite, Scopes: []string{"users.write"}},
	}
}

func key(k string) map[string]string { return map[string]string{"X-Appwrite-Key": k} }

// usersRoute is one Users API route with a request for it.
type usersRoute struct {
	method, path, body, scope string
}

func usersRoutes(id, sessionID string) []usersRoute {
	return []usersRoute{
		{"GET", "/v1/users", "", "users.read"},
		{"POST", "/v1/users", `{"userId":"unique()","email":"new@example.com"}`, "users.write"},
		{"POST", "/v1/users/bcrypt", `{"userId":"unique()","email":"bc@example.com","password":"$2a$04$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui"}`, "users.write"},
		{"POST", "/v1/users/argon2", `{"userId":"unique()","email":"a2@example.com","password":"x"}`, "users.write"},
		{"GET", "/v1/users/" + id, "", "users.read"},
		{"PATCH", "/v1/users/" + id + "/status", `{"status":false}`, "users.write"},
		{"PATCH", "/v1/users/" + id + "/name", `{"name":"N"}`, "users.write"},
		{"PATCH", "/v1/users/" + id + "/email", `{"email":"other@example.com"}`, "users.write"},
		{"PATCH", "/v1/users/" + id + "/phone", `{"number":"+15550001111"}`, "users.write"},
		{"PATCH", "/v1/users/" + id + "/password", `{"password":"new-password-1"}`, "users.write"},
		{"PATCH", "/v1/users/" + id + "/verification", `{"emailVerification":true}`, "users.write"},
		{"PATCH", "/v1/users/" + id + "/verification/phone", `{"phoneVerification":true}`, "users.write"},
		{"PUT", "/v1/users/" + id + "/labels", `{"labels":["vip"]}`, "users.write"},
		{"PATCH", "/v1/users/" + id + "/labels", `{"labels":["vip"]}`, "users.write"},
		{"GET", "/v1/users/" + id + "/prefs", "", "users.read"},
		{"PATCH", "/v1/users/" + id + "/prefs", `{"prefs":{"a":1}}`, "users.write"},
		{"GET", "/v1/users/" + id + "/sessions", "", "users.read"},
		{"POST", "/v1/users/" + id + "/sessions", "", "users.write"},
		{"POST", "/v1/users/" + id + "/tokens", `{"length":8}`, "users.write"},
		{"DELETE", "/v1/users/" + id + "/sessions/" + sessionID, "", "users.write"},
		{"DELETE", "/v1/users/" + id + "/sessions", "", "users.write"},
		{"GET", "/v1/users/" + id + "/logs", "", "users.read"},
		{"GET", "/v1/users/" + id + "/identities", "", "users.read"},
		{"DELETE", "/v1/users/" + id, "", "users.write"},
	}
}

// TestUsersAPIScopes: every route refuses a guest, a signed-in user, an
// unknown key and a key without its scope with 401
// general_unauthorized_scope naming the scope; a key sent with a
// session is 403 user_api_key_and_session_set; nothing changed.
func TestUsersAPIScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withKeys)
	id := e.signUp("scoped@example.com", "password123")
	c, sess := e.signIn("scoped@example.com", "password123")
	for _, rt := range usersRoutes(id, sess["$id"].(string)) {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			other := keyRead
			if rt.scope == "users.read" {
				other = keyWrite
			}
			checkError(t, e.do(rt.method, rt.path, rt.body, nil), 401, "general_unauthorized_scope",
				"User (role: guests) missing scope ("+rt.scope+")")
			checkError(t, e.do(rt.method, rt.path, rt.body, key("not-a-configured-key-0123456789abcdefgh")), 401,
				"general_unauthorized_scope", "User (role: guests) missing scope ("+rt.scope+")")
			checkError(t, e.do(rt.method, rt.path, rt.body, cookieHeader(c)), 401, "general_unauthorized_scope",
				"scoped@example.com (role: users) missing scope ("+rt.scope+")")
			checkError(t, e.do(rt.method, rt.path, rt.body, key(other)), 401, "general_unauthorized_scope",
				"app.test@service.localhost (role: applications) missing scope ("+rt.scope+")")
			both := key(keyAll)
			both["Cookie"] = c
			checkError(t, e.do(rt.method, rt.path, rt.body, both), 403, "user_api_key_and_session_set", "")
		})
	}
	// Nothing above took effect: the user is unchanged and signed in.
	u, err := e.svc.Users().User(context.Background(), id)
	if err != nil || !u.Status || u.Name != "Test" || u.Email != "scoped@example.com" {
		t.Fatalf("user changed: %v %+v", err, u)
	}
	e.wantGate("session after refusals", cookieHeader(c), "")
	// A key with a session is refused on the Account API too.
	both := key(keyAll)
	both["Cookie"] = c
	checkError(t, e.do("GET", "/v1/account", "", both), 403, "user_api_key_and_session_set", "")
	if r := e.do("GET", "/v1/account", "", cookieHeader(c)); r.status != 200 {
		t.Fatalf("account: %d %s", r.status, r.body)
	}
}

// TestUsersAPIRoutes: each route with a key holding its scope, and its
// effect at the gate of another instance on the same store.
func TestUsersAPIRoutes(t *testing.T) {
	t.Parallel()
	p := newAdminPair(t, withKeys)
	api := func(method, path, body string) response {
		t.Helper()
		return responseOf(p.admin, method, path, body, key(keyAll))
	}
	want := func(r response, status int) map[string]any {
		t.Helper()
		if r.status != status {
			t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
		}
		if status == 204 {
			return nil
		}
		return r.json(t)
	}

	// Create: with and without a password; the model never has a hash.
	u := want(api("POST", "/v1/users", `{"userId":"alice","email":"Alice@Example.com","password":"password123","name":"Alice"}`), 201)
	if u["$id"] != "alice" || u["email"] != "alice@example.com" || u["name"] != "Alice" || u["status"] != true {
		t.Fatalf("created: %v", u)
	}
	for _, f := range []string{"password", "hash", "hashOptions"} {
		if _, ok := u[f]; ok {
			t.Fatalf("user model carries %s: %v", f, u)
		}
	}
	want(api("POST", "/v1/users", `{"userId":"unique()","phone":"+15550002222"}`), 201)
	want(api("POST", "/v1/users", `{"userId":"carol","email":"carol@example.com","name":"Carol Smith"}`), 201)
	checkError(t, api("POST", "/v1/users", `{"userId":"alice","email":"x@example.com"}`), 409, "user_already_exists", "")
	checkError(t, api("POST", "/v1/users", `{"userId":"dave","email":"not-an-email"}`), 400, "general_argument_invalid", "")
	checkError(t, api("POST", "/v1/users", `{"userId":"dave","password":"short"}`), 400, "general_argument_invalid", "")
	checkError(t, api("POST", "/v1/users", `{"email":"dave@example.com"}`), 400, "general_argument_invalid", `Param "userId" is not optional.`)

	// Get, list, cursor, offset, search.
	if g := want(api("GET", "/v1/users/alice", ""), 200); g["email"] != "alice@example.com" {
		t.Fatalf("get: %v", g)
	}
	checkError(t, api("GET", "/v1/users/nobody", ""), 404, "user_not_found", "")
	list := want(api("GET", "/v1/users", ""), 200)
	if list["total"] != float64(3) || len(list["users"].([]any)) != 3 {
		t.Fatalf("list: %v", list)
	}
	ids := func(m map[string]any) string {
		var out []string
		for _, u := range m["users"].([]any) {
			out = append(out, u.(map[string]any)["$id"].(string))
		}
		return strings.Join(out, ",")
	}
	all := ids(list)
	if !strings.HasPrefix(all, "alice,") || !strings.HasSuffix(all, ",carol") {
		t.Fatalf("not in creation order: %s", all)
	}
	q := func(queries ...string) string {
		v := url.Values{}
		for _, s := range queries {
			v.Add("queries[]", s)
		}
		return "/v1/users?" + v.Encode()
	}
	if got := ids(want(api("GET", q("limit(1)"), ""), 200)); got != "alice" {
		t.Fatalf("limit: %s", got)
	}
	if got := want(api("GET", q(`cursorAfter("alice")`, "limit(5)"), ""), 200); ids(got) != strings.TrimPrefix(all, "alice,") || got["total"] != float64(3) {
		t.Fatalf("cursorAfter: %v", got)
	}
	if got := ids(want(api("GET", q(`{"method":"cursorAfter","values":["alice"]}`, `{"method":"limit","values":[1]}`), ""), 200)); got == "" || got == "alice" || strings.Contains(got, ",") {
		t.Fatalf("JSON cursorAfter: %s", got)
	}
	if got := ids(want(api("GET", q("offset(2)"), ""), 200)); got != "carol" {
		t.Fatalf("offset: %s", got)
	}
	if got := want(api("GET", "/v1/users?search=smith", ""), 200); ids(got) != "carol" || got["total"] != float64(1) {
		t.Fatalf("search: %v", got)
	}
	checkError(t, api("GET", q(`cursorAfter("nobody")`), ""), 400, "general_cursor_not_found", "User 'nobody' for the 'cursor' value not found.")
	// Order, cursorBefore and equal filters, in both syntaxes.
	rev := ids(want(api("GET", q(`orderDesc("$createdAt")`), ""), 200))
	if parts := strings.Split(all, ","); rev != parts[2]+","+parts[1]+","+parts[0] {
		t.Fatalf("orderDesc: %s (asc %s)", rev, all)
	}
	if got := ids(want(api("GET", q(`{"method":"orderDesc","attribute":"$createdAt"}`, "limit(1)", "offset(1)"), ""), 200)); got != strings.Split(all, ",")[1] {
		t.Fatalf("orderDesc offset: %s", got)
	}
	if got := ids(want(api("GET", q(`cursorBefore("carol")`, "limit(1)"), ""), 200)); got != strings.Split(all, ",")[1] {
		t.Fatalf("cursorBefore: %s", got)
	}
	if got := ids(want(api("GET", q(`cursorAfter("carol")`, `orderDesc("$createdAt")`), ""), 200)); got != strings.Split(all, ",")[1]+",alice" {
		t.Fatalf("orderDesc cursorAfter: %s", got)
	}
	if got := ids(want(api("GET", q(`cursorBefore("alice")`, `orderDesc("$createdAt")`), ""), 200)); got != "carol,"+strings.Split(all, ",")[1] {
		t.Fatalf("orderDesc cursorBefore: %s", got)
	}
	if got := want(api("GET", q(`equal("email", ["carol@example.com", "alice@example.com"])`), ""), 200); ids(got) != "alice,carol" || got["total"] != float64(2) {
		t.Fatalf("equal email: %v", got)
	}
	if got := ids(want(api("GET", q(`{"method":"equal","attribute":"phone","values":["+15550002222"]}`), ""), 200)); got != strings.Split(all, ",")[1] {
		t.Fatalf("equal phone: %s", got)
	}
	// A cursor that does not match the filter still places the page.
	if got := want(api("GET", q(`equal("email", ["carol@example.com"])`, `cursorAfter("alice")`), ""), 200); ids(got) != "carol" || got["total"] != float64(1) {
		t.Fatalf("cursor outside the filter: %v", got)
	}
	if got := want(api("GET", q(`equal("email", ["alice@example.com"])`, `cursorBefore("carol")`), ""), 200); ids(got) != "alice" {
		t.Fatalf("cursorBefore outside the filter: %v", got)
	}
	if got := want(api("GET", q(`equal("status", [false])`), ""), 200); got["total"] != float64(0) {
		t.Fatalf("equal status: %v", got)
	}
	if got := want(api("GET", "/v1/users?total=false", ""), 200); got["total"] != float64(0) || len(got["users"].([]any)) != 3 {
		t.Fatalf("total=false: %v", got)
	}
	checkError(t, api("GET", q(`equal("name", ["x"])`), ""), 400, "general_argument_invalid", "")
	checkError(t, api("GET", q(`orderAsc("email")`), ""), 400, "general_argument_invalid", "")
	checkError(t, api("GET", q(`search("name", "x")`), ""), 400, "general_argument_invalid", "")
	checkError(t, api("GET", q(`limit(`), ""), 400, "general_argument_invalid", "")
	checkError(t, api("GET", q("limit(5001)"), ""), 400, "general_argument_invalid", "")

	// Block: the other instance's gate refuses the cached session at
	// once; unblock lets it through again.
	c, sess := p.signIn("alice@example.com", "password123")
	p.wantGate("before the block", cookieHeader(c), "")
	if b := want(api("PATCH", "/v1/users/alice/status", `{"status":false}`), 200); b["status"] != false {
		t.Fatalf("block: %v", b)
	}
	p.wantGate("blocked", cookieHeader(c), core.ErrUserBlocked)
	checkError(t, api("PATCH", "/v1/users/alice/status", `{"status":"maybe"}`), 400, "general_argument_invalid", "Invalid status: Value must be a valid boolean")
	checkError(t, api("PATCH", "/v1/users/nobody/status", `{"status":true}`), 404, "user_not_found", "")
	want(api("PATCH", "/v1/users/alice/status", `{"status":true}`), 200)
	p.wantGate("unblocked", cookieHeader(c), "")

	// Profile changes are seen at the gate's next request.
	want(api("PATCH", "/v1/users/alice/name", `{"name":"Alice B"}`), 200)
	if m := want(api("PATCH", "/v1/users/alice/email", `{"email":"alice2@example.com"}`), 200); m["email"] != "alice2@example.com" || m["emailVerification"] != false {
		t.Fatalf("email: %v", m)
	}
	checkError(t, api("PATCH", "/v1/users/alice/email", `{"email":"carol@example.com"}`), 409, "user_email_already_exists", "")
	if m := want(api("PATCH", "/v1/users/alice/phone", `{"number":"+15550003333"}`), 200); m["phone"] != "+15550003333" {
		t.Fatalf("phone: %v", m)
	}
	if m := want(api("PATCH", "/v1/users/alice/verification", `{"emailVerification":true}`), 200); m["emailVerification"] != true {
		t.Fatalf("verification: %v", m)
	}
	if m := want(api("PATCH", "/v1/users/alice/verification/phone", `{"phoneVerification":true}`), 200); m["phoneVerification"] != true {
		t.Fatalf("phone verification: %v", m)
	}
	if id, _ := p.svc.GateCheck(gateRequest(cookieHeader(c))); id == nil || id.User.Email != "alice2@example.com" || id.User.Name != "Alice B" || !id.User.EmailVerification {
		t.Fatalf("gate identity after changes: %+v", id)
	}
	want(api("PATCH", "/v1/users/alice/password", `{"password":"new-password-1"}`), 200)
	checkError(t, p.do("POST", "/v1/account/sessions/email", `{"email":"alice2@example.com","password":"password123"}`, nil), 401, "user_invalid_credentials", "")
	c2, _ := p.signIn("alice2@example.com", "new-password-1")

	// Prefs.
	if m := want(api("PATCH", "/v1/users/alice/prefs", `{"prefs":{"theme":"dark"}}`), 200); m["theme"] != "dark" || len(m) != 1 {
		t.Fatalf("prefs: %v", m)
	}
	if m := want(api("GET", "/v1/users/alice/prefs", ""), 200); m["theme"] != "dark" {
		t.Fatalf("get prefs: %v", m)
	}
	checkError(t, api("PATCH", "/v1/users/alice/prefs", `{"prefs":[1]}`), 400, "general_argument_invalid", "")

	// Sessions: list, delete one (gone at the gate), delete all.
	sl := want(api("GET", "/v1/users/alice/sessions", ""), 200)
	if sl["total"] != float64(2) {
		t.Fatalf("sessions: %v", sl)
	}
	for _, s := range sl["sessions"].([]any) {
		if s.(map[string]any)["current"] != false {
			t.Fatalf("a session is current for a key: %v", s)
		}
	}
	checkError(t, api("DELETE", "/v1/users/carol/sessions/"+sess["$id"].(string), ""), 404, "user_session_not_found", "")
	want(api("DELETE", "/v1/users/alice/sessions/"+sess["$id"].(string), ""), 204)
	p.wantGate("deleted session", cookieHeader(c), core.ErrGeneralUnauthorizedScope)
	p.wantGate("other session", cookieHeader(c2), "")
	want(api("DELETE", "/v1/users/alice/sessions", ""), 204)
	p.wantGate("all sessions deleted", cookieHeader(c2), core.ErrGeneralUnauthorizedScope)

	// Logs record the operator's actions.
	logs := want(api("GET", "/v1/users/alice/logs", ""), 200)
	if logs["total"].(float64) < 5 {
		t.Fatalf("logs: %v", logs)
	}

	// Identities: none for a password user; an unknown user is 404.
	if m := want(api("GET", "/v1/users/alice/identities", ""), 200); m["total"] != float64(0) || len(m["identities"].([]any)) != 0 {
		t.Fatalf("identities: %v", m)
	}
	checkError(t, api("GET", "/v1/users/nobody/identities", ""), 404, "user_not_found", "")
	if err := p.store.CreateIdentity(context.Background(), &core.LinkedIdentity{ID: "ident1", UserID: "carol", Provider: "github",
		ProviderUID: "gh-1", ProviderEmail: "carol@example.com", CreatedAt: p.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if m := want(api("GET", "/v1/users/carol/identities", ""), 200); m["total"] != float64(1) ||
		m["identities"].([]any)[0].(map[string]any)["provider"] != "github" || m["identities"].([]any)[0].(map[string]any)["userId"] != "carol" {
		t.Fatalf("carol's identities: %v", m)
	}

	// Delete: the user and their sessions are gone everywhere.
	c3, _ := p.signIn("alice2@example.com", "new-password-1")
	p.wantGate("before the delete", cookieHeader(c3), "")
	want(api("DELETE", "/v1/users/alice", ""), 204)
	p.wantGate("deleted user", cookieHeader(c3), core.ErrGeneralUnauthorizedScope)
	checkError(t, api("GET", "/v1/users/alice", ""), 404, "user_not_found", "")
	checkError(t, api("DELETE", "/v1/users/alice", ""), 404, "user_not_found", "")
	checkError(t, api("POST", "/v1/users/scrypt", `{}`), 400, "general_argument_invalid", `Param "userId" is not optional.`)
	checkError(t, api("POST", "/v1/users/pbkdf2", `{}`), 404, "general_route_not_found", "")
}

// TestAPIKeyConfig: keys are checked at start, and no message carries a
// key.
func TestAPIKeyConfig(t *testing.T) {
	t.Parallel()
	secret := "a-secret-key-that-is-long-enough-000000"
	for _, tc := range []struct {
		name string
		keys []core.APIKey
		want string
	}{
		{"short", []core.APIKey{{Name: "k", Secret: "short-key", Scopes: []string{"users.read"}}}, "at least 32"},
		{"unnamed", []core.APIKey{{Secret: secret}}, "no name"},
		{"unknown scope", []core.APIKey{{Name: "k", Secret: secret, Scopes: []string{"users.admin"}}}, `unknown scope "users.admin"`},
		{"same name", []core.APIKey{{Name: "k", Secret: secret}, {Name: "k", Secret: secret + "x"}}, "configured twice"},
		{"same key", []core.APIKey{{Name: "k", Secret: secret}, {Name: "j", Secret: secret}}, "another name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			_, err := account.New(context.Background(), core.Config{ProjectID: "test", Store: e.store,
				PublicURL: "http://localhost:8080", APIKeys: tc.keys})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			for _, k := range tc.keys {
				if strings.Contains(err.Error(), k.Secret) {
					t.Fatalf("error carries the key: %v", err)
				}
			}
		})
	}
}

// TestUsersAPIWithoutKeys: a project without keys refuses every caller.
func TestUsersAPIWithoutKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	checkError(t, e.do("GET", "/v1/users", "", key(keyAll)), 401, "general_unauthorized_scope",
		"User (role: guests) missing scope (users.read)")
	if !httpapi.IsAPIPath("/v1/users") || !httpapi.IsAPIPath("/v1/users/x/sessions") || httpapi.IsAPIPath("/v1/usersx") {
		t.Fatal("IsAPIPath does not cover the Users API exactly")
	}
	if !httpapi.Owns("/v1/users/x") {
		t.Fatal("the API handler does not own /v1/users")
	}
}

// TestUsersAPIPaging checks every combination of order, cursor, offset
// and limit against the same page cut from the whole list by hand.
func TestUsersAPIPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withKeys)
	var asc []string
	for i := range 9 {
		id := fmt.Sprintf("u%02d", i)
		if r := e.do("POST", "/v1/users", `{"userId":"`+id+`"}`, key(keyAll)); r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		e.clock.Advance(time.Second)
		asc = append(asc, id)
	}
	// expect is Appwrite's page: the view in the order asked, after (or
	// before) the cursor, then offset and limit; before-pages are the
	// ones nearest the cursor, in view order.
	expect := func(desc bool, cursor string, before bool, offset, limit int) []string {
		view := slices.Clone(asc)
		if desc {
			slices.Reverse(view)
		}
		if cursor != "" {
			i := slices.Index(view, cursor)
			if before {
				view = view[:i]
				slices.Reverse(view)
			} else {
				view = view[i+1:]
			}
		}
		view = view[min(offset, len(view)):]
		view = view[:min(limit, len(view))]
		if before {
			slices.Reverse(view)
		}
		return view
	}
	for _, desc := range []bool{false, true} {
		for _, cursor := range []string{"", "u00", "u04", "u08"} {
			for _, before := range []bool{false, true} {
				if cursor == "" && before {
					continue
				}
				for offset := range 4 {
					for limit := 1; limit <= 4; limit++ {
						v := url.Values{}
						v.Add("queries[]", fmt.Sprintf("limit(%d)", limit))
						v.Add("queries[]", fmt.Sprintf("offset(%d)", offset))
						if desc {
							v.Add("queries[]", `orderDesc("$createdAt")`)
						}
						if cursor != "" {
							m := "cursorAfter"
							if before {
								m = "cursorBefore"
							}
							v.Add("queries[]", m+`("`+cursor+`")`)
						}
						r := e.do("GET", "/v1/users?"+v.Encode(), "", key(keyRead))
						if r.status != 200 {
							t.Fatalf("%v: %d %s", v, r.status, r.body)
						}
						var got []string
						m := r.json(t)
						for _, u := range m["users"].([]any) {
							got = append(got, u.(map[string]any)["$id"].(string))
						}
						if want := expect(desc, cursor, before, offset, limit); !slices.Equal(got, want) || m["total"] != float64(9) {
							t.Fatalf("%v: got %v (total %v), want %v", v, got, m["total"], want)
						}
					}
				}
			}
		}
	}
}

// TestUsersAPICreateWithHash: users made from a bcrypt or argon2 hash
// sign in with their old password, which is then re-hashed at the
// configured cost; malformed hashes and other scopes are refused.
func TestUsersAPICreateWithHash(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withKeys)
	ctx := context.Background()
	bc, err := bcrypt.GenerateFromPassword([]byte("bcrypt-pass-1"), 5)
	if err != nil {
		t.Fatal(err)
	}
	a2 := core.HashPassword(core.PasswordConfig{Memory: 128, Time: 2, Threads: 1}, "argon2-pass-1")
	if !strings.HasPrefix(a2, "$argon2id$v=19$m=128,t=2,p=1$") {
		t.Fatalf("the imported hash must differ in cost from the configured one: %s", a2)
	}
	for _, tc := range []struct{ kind, id, hash, password string }{
		{"bcrypt", "frombcrypt", string(bc), "bcrypt-pass-1"},
		{"argon2", "fromargon2", a2, "argon2-pass-1"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			email := tc.id + "@example.com"
			body := `{"userId":"` + tc.id + `","email":"` + email + `","password":"` + tc.hash + `","name":"Imported"}`
			checkError(t, e.do("POST", "/v1/users/"+tc.kind, body, key(keyRead)), 401, "general_unauthorized_scope", "")
			r := e.do("POST", "/v1/users/"+tc.kind, body, key(keyWrite))
			if r.status != 201 || r.json(t)["email"] != email || strings.Contains(r.body, tc.hash) {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			checkError(t, e.do("POST", "/v1/users/"+tc.kind, body, key(keyWrite)), 409, "user_already_exists", "")
			checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"`+email+`","password":"wrong-password"}`, nil), 401, "user_invalid_credentials", "")
			if u, _ := e.store.UserByID(ctx, tc.id); u.PasswordHash != tc.hash {
				t.Fatalf("hash changed by a failed sign-in: %s", u.PasswordHash)
			}
			e.signIn(email, tc.password)
			u, err := e.store.UserByID(ctx, tc.id)
			if err != nil || !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") {
				t.Fatalf("not re-hashed at the configured cost: %v %s", err, u.PasswordHash)
			}
			e.signIn(email, tc.password)
		})
	}
	tooCostly, _ := bcrypt.GenerateFromPassword([]byte("x"), 4)
	tooCostly[4], tooCostly[5] = '1', '7' // cost 17, beyond the bound
	for _, tc := range []struct{ kind, hash string }{
		{"bcrypt", "not-a-hash"},
		{"bcrypt", string(tooCostly)},
		{"bcrypt", a2},
		{"argon2", string(bc)},
		{"argon2", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$c2hvcnQ"},
	} {
		checkError(t, e.do("POST", "/v1/users/"+tc.kind, `{"userId":"bad","email":"bad@example.com","password":"`+tc.hash+`"}`, key(keyAll)),
			400, "general_argument_invalid", "")
	}
	checkError(t, e.do("POST", "/v1/users/bcrypt", `{"userId":"noemail","password":"`+string(bc)+`"}`, key(keyAll)),
		400, "general_argument_invalid", `Param "email" is not optional.`)
}

// TestUsersAPITotalCap: the total stops at 5000, as Appwrite's count
// does, while paging goes on past it, on the store's cursor and by scan.
func TestUsersAPITotalCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withKeys)
	ctx := context.Background()
	const n = 5003
	for i := range n {
		now := e.clock.Now().Add(time.Duration(i) * time.Millisecond)
		u := &core.User{ID: fmt.Sprintf("cap%05d", i), CreatedAt: now, UpdatedAt: now, Registration: now, Status: true}
		if err := e.store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ query, first string }{
		{`cursorAfter("cap04999")`, "cap05000"},
		{`orderDesc("$createdAt")`, "cap05002"},
		{`offset(5001)`, "cap05001"},
	} {
		v := url.Values{"queries[]": {tc.query, "limit(2)"}}
		r := e.do("GET", "/v1/users?"+v.Encode(), "", key(keyRead))
		m := r.json(t)
		if r.status != 200 || m["total"] != float64(5000) || m["users"].([]any)[0].(map[string]any)["$id"] != tc.first {
			t.Fatalf("%s: %d total %v first %v", tc.query, r.status, m["total"], m["users"])
		}
	}
}

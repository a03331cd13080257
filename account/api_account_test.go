package account_test

import (
	"regexp"
	"strings"
	"testing"
)

var isoMillis = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$`)

func TestCreateAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.do("POST", "/v1/account", `{"userId":"unique()","email":" Ann@Example.COM ","password":"password123","name":"Ann"}`, nil)
	if r.status != 201 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	m := r.json(t)
	if id := m["$id"].(string); !regexp.MustCompile(`^[0-9a-f]{20}$`).MatchString(id) {
		t.Errorf("generated id %q is not 20 lowercase hex chars", id)
	}
	for _, k := range []string{"$createdAt", "$updatedAt", "registration", "passwordUpdate"} {
		if !isoMillis.MatchString(m[k].(string)) {
			t.Errorf("%s = %q, want ISO 8601 with ms and offset", k, m[k])
		}
	}
	if m["email"] != "ann@example.com" || m["name"] != "Ann" || m["status"] != true || m["emailVerification"] != false ||
		m["phone"] != "" || m["phoneVerification"] != false {
		t.Errorf("unexpected account: %s", r.body)
	}
	if p, ok := m["prefs"].(map[string]any); !ok || len(p) != 0 {
		t.Errorf("prefs = %v, want {}", m["prefs"])
	}
	for _, k := range []string{"password", "hash", "hashOptions"} {
		if _, ok := m[k]; ok {
			t.Errorf("account model leaks %q", k)
		}
	}
	wantOrder := `{"$id":`
	if !strings.HasPrefix(r.body, wantOrder) || !strings.Contains(r.body, `"phoneVerification":false,"prefs":{}}`) {
		t.Errorf("fields out of model order: %s", r.body)
	}
	if set := r.header.Values("Set-Cookie"); len(set) != 0 {
		t.Errorf("sign-up must not create a session, got cookies %v", set)
	}
}

func TestCreateAccountErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.signUp("taken@example.com", "password123")
	r := e.do("POST", "/v1/account", `{"userId":"fixed-id","email":"first@example.com","password":"password123"}`, nil)
	if r.status != 201 {
		t.Fatalf("custom id: %d %s", r.status, r.body)
	}
	const pwMsg = "Invalid password: Password must be at least 8 characters and should not be one of the commonly used password."
	tests := []struct {
		name, body, ctype string
		status            int
		typ, message      string
	}{
		{"duplicate email", `{"userId":"unique()","email":"TAKEN@example.com","password":"password123"}`, "", 409, "user_already_exists", "A user with the same id, email, or phone already exists in your project."},
		{"duplicate id", `{"userId":"fixed-id","email":"other@example.com","password":"password123"}`, "", 409, "user_already_exists", ""},
		{"missing userId", `{"email":"a@example.com","password":"password123"}`, "", 400, "general_argument_invalid", `Param "userId" is not optional.`},
		{"missing email", `{"userId":"unique()","password":"password123"}`, "", 400, "general_argument_invalid", `Param "email" is not optional.`},
		{"null email", `{"userId":"unique()","email":null,"password":"password123"}`, "", 400, "general_argument_invalid", `Param "email" is not optional.`},
		{"missing password", `{"userId":"unique()","email":"a@example.com"}`, "", 400, "general_argument_invalid", `Param "password" is not optional.`},
		{"empty email", `{"userId":"unique()","email":"","password":"password123"}`, "", 400, "general_argument_invalid", "Invalid email: Value must be a valid email address"},
		{"email without dot", `{"userId":"unique()","email":"user@localhost","password":"password123"}`, "", 400, "general_argument_invalid", "Invalid email: Value must be a valid email address"},
		{"email of wrong type", `{"userId":"unique()","email":5,"password":"password123"}`, "", 400, "general_argument_invalid", "Invalid email: Value must be a valid email address"},
		{"short password", `{"userId":"unique()","email":"a@example.com","password":"short"}`, "", 400, "general_argument_invalid", pwMsg},
		{"empty password", `{"userId":"unique()","email":"a@example.com","password":""}`, "", 400, "general_argument_invalid", pwMsg},
		{"bad userId", `{"userId":"_bad","email":"a@example.com","password":"password123"}`, "", 400, "general_argument_invalid",
			"Invalid userId: Parameter must contain at most 36 chars. Valid chars are a-z, A-Z, 0-9, period, hyphen, and underscore. Can't start with a special char"},
		{"long userId", `{"userId":"` + strings.Repeat("a", 37) + `","email":"a@example.com","password":"password123"}`, "", 400, "general_argument_invalid", ""},
		{"empty name", `{"userId":"unique()","email":"a@example.com","password":"password123","name":""}`, "", 400, "general_argument_invalid",
			"Invalid name: Value must be a valid string and at least 1 chars and no longer than 128 chars"},
		{"long name", `{"userId":"unique()","email":"a@example.com","password":"password123","name":"` + strings.Repeat("é", 129) + `"}`, "", 400, "general_argument_invalid", ""},
		{"malformed JSON", `{"userId":`, "", 400, "general_argument_invalid", ""},
		{"JSON array", `[1,2]`, "", 400, "general_argument_invalid", ""},
		{"huge body", `{"userId":"unique()","email":"a@example.com","password":"` + strings.Repeat("x", 1100<<10) + `"}`, "", 400, "general_argument_invalid", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkError(t, e.do("POST", "/v1/account", tc.body, nil), tc.status, tc.typ, tc.message)
		})
	}
}

func TestCreateAccountFormEncoded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.do("POST", "/v1/account", "", map[string]string{})
	checkError(t, r, 400, "general_argument_invalid", `Param "userId" is not optional.`)
	r = e.do("POST", "/v1/account", "userId=unique()&email=form%40example.com&password=password123", map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	// do() sets JSON for non-empty bodies; the header override wins.
	if r.status != 201 || r.json(t)["email"] != "form@example.com" {
		t.Fatalf("form body: %d %s", r.status, r.body)
	}
}

func TestGetAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	id := e.signUp("get@example.com", "password123")
	cookie, _ := e.signIn("get@example.com", "password123")

	r := e.do("GET", "/v1/account", "", cookieHeader(cookie))
	if r.status != 200 || r.json(t)["$id"] != id {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	guest := "User (role: guests) missing scope (account)"
	checkError(t, e.do("GET", "/v1/account", "", nil), 401, "general_unauthorized_scope", guest)
	checkError(t, e.do("GET", "/v1/account", "", cookieHeader("a_session_test=garbage")), 401, "general_unauthorized_scope", guest)
	for _, fb := range []string{"", "[]", "{}", "garbage", `{"a_session_test":5}`, `{"a_session_test":"bm9wZQ=="}`} {
		checkError(t, e.do("GET", "/v1/account", "", map[string]string{"X-Fallback-Cookies": fb}), 401, "general_unauthorized_scope", guest)
	}
}

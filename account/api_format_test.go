package account_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// keysOf returns the keys of a JSON object in the order they were sent.
func keysOf(t *testing.T, body string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %q", body)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// withFormat adds X-Appwrite-Response-Format to headers ("" adds none).
func withFormat(headers map[string]string, format string) map[string]string {
	out := map[string]string{}
	for k, v := range headers {
		out[k] = v
	}
	if format != "" {
		out["X-Appwrite-Response-Format"] = format
	}
	return out
}

var (
	account13Keys = []string{"$id", "$createdAt", "$updatedAt", "name", "registration", "status", "passwordUpdate",
		"email", "phone", "emailVerification", "phoneVerification", "prefs"}
	account14Keys = []string{"$id", "$createdAt", "$updatedAt", "name", "registration", "status", "labels", "passwordUpdate",
		"email", "phone", "emailVerification", "phoneVerification", "prefs", "accessedAt"}
	account15Keys = []string{"$id", "$createdAt", "$updatedAt", "name", "registration", "status", "labels", "passwordUpdate",
		"email", "phone", "emailVerification", "phoneVerification", "mfa", "prefs", "targets", "accessedAt"}
	session13Keys = []string{"$id", "$createdAt", "userId", "expire", "provider", "providerUid", "providerAccessToken",
		"providerAccessTokenExpiry", "providerRefreshToken", "ip", "osCode", "osName", "osVersion", "clientType", "clientCode",
		"clientName", "clientVersion", "clientEngine", "clientEngineVersion", "deviceName", "deviceBrand", "deviceModel",
		"countryCode", "countryName", "current"}
	session15Keys = append(append([]string{"$id", "$createdAt", "$updatedAt"}, session13Keys[2:]...), "factors", "secret", "mfaUpdatedAt")
)

func TestResponseFormatAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	signUpAt := e.clock.Now()
	e.signUp("fmt@example.com", "password123")
	c, _ := e.signIn("fmt@example.com", "password123")
	for _, tc := range []struct {
		format string
		want   []string
	}{
		{"", account13Keys},
		{"1.0.0", account13Keys},
		{"1.3.9", account13Keys},
		{"not-a-version", account13Keys},
		{"1.4.0", account14Keys},
		{"1.4.2", account14Keys},
		{"1.5.0", account15Keys},
		{"1.6.0", account15Keys},
		{"2.3.0", account15Keys},
	} {
		t.Run("format "+tc.format, func(t *testing.T) {
			r := e.do("GET", "/v1/account", "", withFormat(cookieHeader(c), tc.format))
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if got := keysOf(t, r.body); !slices.Equal(got, tc.want) {
				t.Fatalf("keys\n got %v\nwant %v", got, tc.want)
			}
		})
	}
	// The values are the truth: no labels, no MFA, the email as the one
	// target, and the access time of the sign-up.
	acc := e.do("GET", "/v1/account", "", withFormat(cookieHeader(c), "2.3.0")).json(t)
	if labels, ok := acc["labels"].([]any); !ok || len(labels) != 0 || acc["mfa"] != false {
		t.Errorf("labels/mfa: %v %v", acc["labels"], acc["mfa"])
	}
	if acc["accessedAt"] != signUpAt.Format("2006-01-02T15:04:05.000+00:00") {
		t.Errorf("accessedAt %v, want the sign-up time", acc["accessedAt"])
	}
	targets, _ := acc["targets"].([]any)
	if len(targets) != 1 {
		t.Fatalf("targets: %v", acc["targets"])
	}
	tg := targets[0].(map[string]any)
	if tg["providerType"] != "email" || tg["identifier"] != "fmt@example.com" || tg["userId"] != acc["$id"] || tg["expired"] != false || tg["$id"] == "" {
		t.Errorf("target: %v", tg)
	}
	// Sign-up answers in the request's format too.
	r := e.do("POST", "/v1/account", `{"userId":"unique()","email":"fmt2@example.com","password":"password123"}`, withFormat(nil, "1.4.0"))
	if got := keysOf(t, r.body); r.status != 201 || !slices.Equal(got, account14Keys) {
		t.Fatalf("sign-up in 1.4: %d %v", r.status, got)
	}
}

func TestResponseFormatSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.signUp("sfmt@example.com", "password123")
	c, _ := e.signIn("sfmt@example.com", "password123")
	// The sign-in answers in the request's format.
	for f, want := range map[string][]string{"": session13Keys, "1.5.0": session15Keys} {
		r := e.do("POST", "/v1/account/sessions/email", `{"email":"sfmt@example.com","password":"password123"}`, withFormat(nil, f))
		if got := keysOf(t, r.body); r.status != 201 || !slices.Equal(got, want) {
			t.Fatalf("sign-in in %q: %d %v", f, r.status, got)
		}
	}
	for _, tc := range []struct {
		format string
		want   []string
	}{
		{"", session13Keys},
		{"1.4.0", session13Keys},
		{"1.5.0", session15Keys},
		{"2.3.0", session15Keys},
	} {
		t.Run("format "+tc.format, func(t *testing.T) {
			r := e.do("GET", "/v1/account/sessions/current", "", withFormat(cookieHeader(c), tc.format))
			if got := keysOf(t, r.body); r.status != 200 || !slices.Equal(got, tc.want) {
				t.Fatalf("%d keys\n got %v\nwant %v", r.status, got, tc.want)
			}
			// Lists hold the same model.
			var list struct{ Sessions []json.RawMessage }
			json.Unmarshal([]byte(e.do("GET", "/v1/account/sessions", "", withFormat(cookieHeader(c), tc.format)).body), &list)
			if len(list.Sessions) != 3 || !slices.Equal(keysOf(t, string(list.Sessions[0])), tc.want) {
				t.Fatalf("list: %s", list.Sessions)
			}
		})
	}
	s := e.do("GET", "/v1/account/sessions/current", "", withFormat(cookieHeader(c), "1.5.0")).json(t)
	if f, _ := s["factors"].([]any); len(f) != 1 || f[0] != "password" || s["secret"] != "" || s["mfaUpdatedAt"] != "" || s["$updatedAt"] != s["$createdAt"] {
		t.Errorf("1.5 session values: %v", s)
	}
	// An anonymous session proved nothing but the device.
	r := e.do("POST", "/v1/account/sessions/anonymous", "", withFormat(nil, "1.6.0"))
	if f, _ := r.json(t)["factors"].([]any); r.status != 201 || len(f) != 1 || f[0] != "anonymous" {
		t.Errorf("anonymous: %d %s", r.status, r.body)
	}
}

func TestResponseFormatTokenPhrase(t *testing.T) {
	t.Parallel()
	e, _ := newDeliveryEnv(t, nil)
	e.signUp("tok@example.com", "password123")
	c, _ := e.signIn("tok@example.com", "password123")
	for format, want := range map[string]bool{"": false, "1.4.0": false, "1.5.0": true, "2.3.0": true} {
		r := e.do("POST", "/v1/account/verification", `{"url":"http://localhost/verify"}`, withFormat(cookieHeader(c), format))
		if r.status != 201 {
			t.Fatalf("%q: %d %s", format, r.status, r.body)
		}
		phrase, has := r.json(t)["phrase"]
		if has != want || (has && phrase != "") {
			t.Errorf("format %q: phrase %v (present %v), want present %v", format, phrase, has, want)
		}
	}
}

func TestAccessedAtThrottled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	start := e.clock.Now()
	id := e.signUp("acc@example.com", "password123")
	c, _ := e.signIn("acc@example.com", "password123")
	accessed := func() string {
		t.Helper()
		return e.do("GET", "/v1/account", "", withFormat(cookieHeader(c), "1.4.0")).json(t)["accessedAt"].(string)
	}
	stored := func() time.Time {
		u, err := e.store.UserByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return u.AccessedAt
	}
	format := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000+00:00") }
	if got := accessed(); got != format(start) {
		t.Fatalf("after sign-up accessedAt %s, want %s", got, format(start))
	}
	// Within the hour, requests write nothing.
	e.clock.Advance(59 * time.Minute)
	if got := accessed(); got != format(start) || !stored().Equal(start) {
		t.Fatalf("after 59 min accessedAt %s / stored %v, want unchanged", got, stored())
	}
	// Past it, the next request writes, and answers with the new time.
	e.clock.Advance(2 * time.Minute)
	now := e.clock.Now()
	if got := accessed(); got != format(now) || !stored().Equal(now) {
		t.Fatalf("after 61 min accessedAt %s / stored %v, want %s", got, stored(), format(now))
	}
	e.clock.Advance(time.Minute)
	if got := accessed(); got != format(now) {
		t.Fatalf("a minute later accessedAt %s, want still %s", got, format(now))
	}
	// A JWT caller uses the API too.
	jwt := e.do("POST", "/v1/account/jwts", `{"duration":3600}`, cookieHeader(c)).json(t)["jwt"].(string)
	e.clock.Advance(59*time.Minute + 30*time.Second)
	e.do("GET", "/v1/account/prefs", "", map[string]string{"X-Appwrite-JWT": jwt})
	if !stored().Equal(e.clock.Now()) {
		t.Fatalf("JWT use not recorded: %v", stored())
	}
}

// jwtExpiry decodes the exp claim of a JWT (already verified elsewhere).
func jwtExpiry(t *testing.T, token string) time.Time {
	t.Helper()
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct{ Exp int64 }
	json.Unmarshal(raw, &claims)
	return time.Unix(claims.Exp, 0).UTC()
}

func TestJWTs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, limitsOn)
	id := e.signUp("jwts@example.com", "password123")
	c, _ := e.signIn("jwts@example.com", "password123")
	h := withFormat(cookieHeader(c), "2.3.0")
	r := e.do("POST", "/v1/account/jwts", "", h)
	if r.status != 201 || r.header.Get("X-RateLimit-Remaining") != "99" {
		t.Fatalf("default: %d %v %s", r.status, r.header, r.body)
	}
	token := r.json(t)["jwt"].(string)
	if got := jwtExpiry(t, token); !got.Equal(e.clock.Now().Add(900 * time.Second)) {
		t.Errorf("default lifetime: exp %v", got)
	}
	if acc := e.do("GET", "/v1/account", "", map[string]string{"X-Appwrite-JWT": token}); acc.status != 200 || acc.json(t)["$id"] != id {
		t.Fatalf("JWT does not work: %d %s", acc.status, acc.body)
	}
	r = e.do("POST", "/v1/account/jwts", `{"duration":60}`, h)
	if r.status != 201 || !jwtExpiry(t, r.json(t)["jwt"].(string)).Equal(e.clock.Now().Add(time.Minute)) {
		t.Fatalf("duration 60: %d %s", r.status, r.body)
	}
	// /jwt and /jwts share one budget.
	if r := e.do("POST", "/v1/account/jwt", "", cookieHeader(c)); r.header.Get("X-RateLimit-Remaining") != "97" {
		t.Errorf("shared limit: %v", r.header)
	}
	for _, bad := range []string{`{"duration":3601}`, `{"duration":-1}`, `{"duration":1.5}`, `{"duration":"x"}`} {
		checkError(t, e.do("POST", "/v1/account/jwts", bad, h), 400, "general_argument_invalid",
			"Invalid duration: Value must be a valid range between 0 and 3,600")
	}
	checkError(t, e.do("POST", "/v1/account/jwts", "", withFormat(map[string]string{"X-Appwrite-JWT": token}, "2.3.0")), 404, "user_session_not_found", "")
	checkError(t, e.do("POST", "/v1/account/jwts", "", nil), 401, "general_unauthorized_scope", "")
}

func TestVerificationsAliases(t *testing.T) {
	t.Parallel()
	e, box := newDeliveryEnv(t, nil)
	e.signUp("alias@example.com", "password123")
	c, _ := e.signIn("alias@example.com", "password123")
	r := e.do("POST", "/v1/account/verifications/email", `{"url":"http://localhost/verify"}`, withFormat(cookieHeader(c), "2.3.0"))
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	_, q := linkParams(t, box.waitMail(t, 1))
	body := `{"userId":"` + q.Get("userId") + `","secret":"` + q.Get("secret") + `"}`
	if r := e.do("PUT", "/v1/account/verifications/email", body, withFormat(nil, "2.3.0")); r.status != 200 {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	if acc := e.do("GET", "/v1/account", "", cookieHeader(c)).json(t); acc["emailVerification"] != true {
		t.Fatalf("not verified: %v", acc)
	}
	checkError(t, e.do("PUT", "/v1/account/verifications/email", body, nil), 401, "user_invalid_token", "")
	// The phone routes: same rules as /verification/phone.
	checkError(t, e.do("POST", "/v1/account/verifications/phone", "", cookieHeader(c)), 400, "user_phone_not_found", "")
	checkError(t, e.do("POST", "/v1/account/verifications/phone", "", nil), 401, "general_unauthorized_scope", "")
	checkError(t, e.do("PUT", "/v1/account/verifications/phone", `{"userId":"`+q.Get("userId")+`","secret":"123456"}`, nil), 401, "user_invalid_token", "")
}

func TestVerificationsShareLimits(t *testing.T) {
	t.Parallel()
	e, _ := newDeliveryEnv(t, limitsOn)
	e.signUp("lim@example.com", "password123")
	c, _ := e.signIn("lim@example.com", "password123")
	for i := 0; i < 10; i++ {
		path := "/v1/account/verification"
		if i%2 == 1 {
			path = "/v1/account/verifications/email"
		}
		if r := e.do("POST", path, `{"url":"http://localhost/verify"}`, cookieHeader(c)); r.status != 201 {
			t.Fatalf("request %d: %d %s", i, r.status, r.body)
		}
	}
	checkError(t, e.do("POST", "/v1/account/verifications/email", `{"url":"http://localhost/verify"}`, cookieHeader(c)), 429, "general_rate_limit_exceeded", "")
}

func TestRecoveryWithoutPasswordAgain(t *testing.T) {
	t.Parallel()
	e, box := newDeliveryEnv(t, nil)
	e.signUp("rec15@example.com", "password123")
	if r := e.do("POST", "/v1/account/recovery", `{"email":"rec15@example.com","url":"http://localhost/recovery"}`, nil); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	_, q := linkParams(t, box.waitMail(t, 1))
	body := `{"userId":"` + q.Get("userId") + `","secret":"` + q.Get("secret") + `","password":"newpassword1"}`
	// 1.3 and 1.4 still require passwordAgain.
	checkError(t, e.do("PUT", "/v1/account/recovery", body, nil), 400, "general_argument_invalid", `Param "passwordAgain" is not optional.`)
	checkError(t, e.do("PUT", "/v1/account/recovery", body, withFormat(nil, "1.4.0")), 400, "general_argument_invalid", `Param "passwordAgain" is not optional.`)
	// From 1.5 on it is optional, but must match when sent.
	mismatch := strings.TrimSuffix(body, "}") + `,"passwordAgain":"otherpassword"}`
	checkError(t, e.do("PUT", "/v1/account/recovery", mismatch, withFormat(nil, "1.5.0")), 400, "user_password_mismatch", "")
	if r := e.do("PUT", "/v1/account/recovery", body, withFormat(nil, "1.5.0")); r.status != 200 {
		t.Fatalf("recovery in 1.5 without passwordAgain: %d %s", r.status, r.body)
	}
	e.signIn("rec15@example.com", "newpassword1")
}

func TestUpdateSessionExtends(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *core.Config) { c.SessionDuration = time.Hour })
	e.signUp("ext@example.com", "password123")
	c, s := e.signIn("ext@example.com", "password123")
	// 1.3 and 1.4: only OAuth2 sessions can be refreshed.
	for _, f := range []string{"", "1.4.0"} {
		checkError(t, e.do("PATCH", "/v1/account/sessions/current", "", withFormat(cookieHeader(c), f)), 400, "general_argument_invalid", "")
	}
	e.clock.Advance(50 * time.Minute)
	r := e.do("PATCH", "/v1/account/sessions/current", "", withFormat(cookieHeader(c), "1.5.0"))
	if r.status != 200 {
		t.Fatalf("extend: %d %s", r.status, r.body)
	}
	now := e.clock.Now()
	got := r.json(t)
	if got["$id"] != s["$id"] || got["expire"] != now.Add(time.Hour).Format("2006-01-02T15:04:05.000+00:00") ||
		got["$updatedAt"] != now.Format("2006-01-02T15:04:05.000+00:00") || got["current"] != true {
		t.Fatalf("extended session: %v", got)
	}
	if !strings.Contains(strings.Join(r.header.Values("Set-Cookie"), "\n"), "a_session_test=") {
		t.Errorf("the cookie does not follow the new expiry: %v", r.header.Values("Set-Cookie"))
	}
	// Past the old expiry, the session still works.
	e.clock.Advance(30 * time.Minute)
	if r := e.do("GET", "/v1/account", "", cookieHeader(c)); r.status != 200 {
		t.Fatalf("after the old expiry: %d %s", r.status, r.body)
	}
	// Another user's session is not found.
	e.signUp("other@example.com", "password123")
	c2, _ := e.signIn("other@example.com", "password123")
	checkError(t, e.do("PATCH", "/v1/account/sessions/"+s["$id"].(string), "", withFormat(cookieHeader(c2), "1.5.0")), 404, "user_session_not_found", "")
}

func TestUpdateSessionExtendsOAuth2(t *testing.T) {
	t.Parallel()
	e, _ := newOAuthEnv(t)
	f, _ := e.startOAuth(t, oauthQuery)
	_, cookie, _ := outcome(t, f.callback("new"))
	e.clock.Advance(time.Hour)
	r := e.do("PATCH", "/v1/account/sessions/current", "", withFormat(cookieHeader(cookie), "1.5.0"))
	got := r.json(t)
	if r.status != 200 || got["providerAccessToken"] != "refreshed-rt-new" || got["$updatedAt"] != e.clock.Now().Format("2006-01-02T15:04:05.000+00:00") {
		t.Fatalf("oauth2 extend: %d %s", r.status, r.body)
	}
	if fs, _ := got["factors"].([]any); len(fs) != 2 || fs[0] != "email" || fs[1] != "oauth2" {
		t.Errorf("oauth2 factors: %v", got["factors"])
	}
}

func TestIdentities(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	id := e.signUp("ident@example.com", "password123")
	c, _ := e.signIn("ident@example.com", "password123")
	for i, p := range []string{"github", "google", "gitlab"} {
		if err := e.store.CreateIdentity(ctx, &core.LinkedIdentity{ID: "ident" + p, UserID: id, Provider: p,
			ProviderUID: "uid-" + p, ProviderEmail: "ident@example.com", CreatedAt: e.clock.Now().Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	h := withFormat(cookieHeader(c), "1.4.0")
	list := func(query string) (int, []string) {
		t.Helper()
		r := e.do("GET", "/v1/account/identities"+query, "", h)
		if r.status != 200 {
			t.Fatalf("list %s: %d %s", query, r.status, r.body)
		}
		var out struct {
			Total      int
			Identities []map[string]any
		}
		json.Unmarshal([]byte(r.body), &out)
		var ids []string
		for _, i := range out.Identities {
			ids = append(ids, i["$id"].(string))
		}
		return out.Total, ids
	}
	if total, ids := list(""); total != 3 || !slices.Equal(ids, []string{"identgithub", "identgoogle", "identgitlab"}) {
		t.Fatalf("all: %d %v", total, ids)
	}
	// Both query syntaxes.
	if total, ids := list("?queries[]=limit(1)&queries[]=offset(1)"); total != 3 || !slices.Equal(ids, []string{"identgoogle"}) {
		t.Fatalf("1.3 syntax: %d %v", total, ids)
	}
	q := url.Values{"queries[]": {`{"method":"limit","values":[2]}`, `{"method":"offset","values":[2]}`}}
	if total, ids := list("?" + q.Encode()); total != 3 || !slices.Equal(ids, []string{"identgitlab"}) {
		t.Fatalf("JSON syntax: %d %v", total, ids)
	}
	checkError(t, e.do("GET", "/v1/account/identities?queries[]=equal(%22provider%22,%20%22github%22)", "", h), 400, "general_argument_invalid", "Invalid queries: Query method not valid: equal")
	checkError(t, e.do("GET", "/v1/account/identities?queries[]=%7Bbad", "", h), 400, "general_argument_invalid", "Invalid queries: Invalid query: {bad")
	// The model.
	r := e.do("GET", "/v1/account/identities?queries[]=limit(1)", "", h)
	var one struct{ Identities []json.RawMessage }
	json.Unmarshal([]byte(r.body), &one)
	wantKeys := []string{"$id", "$createdAt", "$updatedAt", "userId", "provider", "providerUid", "providerEmail",
		"providerAccessToken", "providerAccessTokenExpiry", "providerRefreshToken"}
	if got := keysOf(t, string(one.Identities[0])); !slices.Equal(got, wantKeys) {
		t.Fatalf("identity keys %v", got)
	}
	// SDK 28 (format 2.3.0) declares providerIdToken too.
	r = e.do("GET", "/v1/account/identities?queries[]=limit(1)", "", withFormat(cookieHeader(c), "2.3.0"))
	json.Unmarshal([]byte(r.body), &one)
	if got := keysOf(t, string(one.Identities[0])); !slices.Equal(got, append(wantKeys, "providerIdToken")) {
		t.Fatalf("identity keys in 2.3.0: %v", got)
	}
	checkError(t, e.do("GET", "/v1/account/identities", "", nil), 401, "general_unauthorized_scope", "")

	// Deleting: another user's identity is not found; one's own goes.
	other := e.signUp("other-ident@example.com", "password123")
	e.store.CreateIdentity(ctx, &core.LinkedIdentity{ID: "theirs", UserID: other, Provider: "github", ProviderUID: "x"})
	checkError(t, e.do("DELETE", "/v1/account/identities/theirs", "", h), 404, "user_identity_not_found", "")
	checkError(t, e.do("DELETE", "/v1/account/identities/nope", "", h), 404, "user_identity_not_found", "")
	if r := e.do("DELETE", "/v1/account/identities/identgithub", "", h); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if total, _ := list(""); total != 2 {
		t.Fatalf("after delete: %d", total)
	}
	if _, err := e.store.IdentityByProvider(ctx, "github", "x"); err != nil {
		t.Fatalf("the other user's identity went: %v", err)
	}
}

func TestDeleteLastIdentityRefused(t *testing.T) {
	t.Parallel()
	e, _ := newOAuthEnv(t)
	ctx := context.Background()
	// An account made by OAuth2 alone: no password, and no mailer for
	// magic URLs in this project.
	f, _ := e.startOAuth(t, oauthQuery)
	_, cookie, _ := outcome(t, f.callback("new"))
	h := withFormat(cookieHeader(cookie), "2.3.0")
	var list struct{ Identities []map[string]any }
	json.Unmarshal([]byte(e.do("GET", "/v1/account/identities", "", h).body), &list)
	if len(list.Identities) != 1 {
		t.Fatalf("identities: %v", list.Identities)
	}
	first := list.Identities[0]["$id"].(string)
	userID := list.Identities[0]["userId"].(string)
	checkError(t, e.do("DELETE", "/v1/account/identities/"+first, "", h), 401, "user_unauthorized",
		"This identity is the last way to sign in to this account. Set a password, or link another provider, before removing it.")
	// An identity of a provider no longer configured is no way in either.
	e.store.CreateIdentity(ctx, &core.LinkedIdentity{ID: "gone", UserID: userID, Provider: "bitbucket", ProviderUID: "b1", CreatedAt: e.clock.Now()})
	checkError(t, e.do("DELETE", "/v1/account/identities/"+first, "", h), 401, "user_unauthorized", "")
	// A second identity of a configured provider is.
	e.store.CreateIdentity(ctx, &core.LinkedIdentity{ID: "second", UserID: userID, Provider: "github", ProviderUID: "gh-other", CreatedAt: e.clock.Now()})
	if r := e.do("DELETE", "/v1/account/identities/"+first, "", h); r.status != 204 {
		t.Fatalf("delete with another identity left: %d %s", r.status, r.body)
	}
	checkError(t, e.do("DELETE", "/v1/account/identities/second", "", h), 401, "user_unauthorized", "")
	// With a password set, the last identity may go.
	if r := e.do("PATCH", "/v1/account/password", `{"password":"password123"}`, h); r.status != 200 {
		t.Fatalf("set password: %d %s", r.status, r.body)
	}
	if r := e.do("DELETE", "/v1/account/identities/second", "", h); r.status != 204 {
		t.Fatalf("delete with a password: %d %s", r.status, r.body)
	}
}

func TestNotImplementedRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, tc := range []struct{ method, path, feature string }{
		{"POST", "/v1/account/targets/push", "Push targets"},
		{"DELETE", "/v1/account/targets/t1/push", "Push targets"},
		{"GET", "/v1/account/consents", "Consents"},
		{"POST", "/v1/account/sessions/id-token", "Sign-in with a provider ID token"},
		{"PUT", "/v1/account/recovery/otp", "Password recovery by one-time code"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := e.do(tc.method, tc.path, "", withFormat(nil, "2.3.0"))
			checkError(t, r, 405, "general_not_implemented", "")
			if msg := r.json(t)["message"].(string); !strings.HasPrefix(msg, tc.feature+" (") || !strings.Contains(msg, "not implemented") {
				t.Errorf("message %q does not name %q", msg, tc.feature)
			}
		})
	}
	// What no SDK calls stays a 404.
	checkError(t, e.do("GET", "/v1/account/nothing-here", "", nil), 404, "general_route_not_found", "")
}

func TestLogsJSONQueries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.signUp("logs-json@example.com", "password123")
	c, _ := e.signIn("logs-json@example.com", "password123")
	e.signIn("logs-json@example.com", "password123")
	total := func(r response) (int, int) {
		var out struct {
			Total int
			Logs  []any
		}
		json.Unmarshal([]byte(r.body), &out)
		return out.Total, len(out.Logs)
	}
	q := url.Values{"queries[]": {`{"method":"limit","values":[1]}`}}
	r := e.do("GET", "/v1/account/logs?"+q.Encode(), "", withFormat(cookieHeader(c), "1.6.0"))
	if n, got := total(r); r.status != 200 || n != 3 || got != 1 {
		t.Fatalf("limit 1: %d %s", r.status, r.body)
	}
	q = url.Values{"queries[]": {`{"method":"offset","values":[2]}`}}
	if n, got := total(e.do("GET", "/v1/account/logs?"+q.Encode(), "", cookieHeader(c))); n != 3 || got != 1 {
		t.Fatalf("offset 2: %d %d", n, got)
	}
	for raw, msg := range map[string]string{
		`{"method":"limit","values":[101]}`:                "Invalid queries: Query not valid: Invalid limit: Value must be a valid range between 0 and 100",
		`{"method":"limit","values":[]}`:                   `Invalid queries: Invalid query: {"method":"limit","values":[]}`,
		`{"method":"cursorAfter","values":["x"]}`:          "Invalid queries: Query method not valid: cursorAfter",
		`{"method":"limit","values":[1],"attribute":3}`:    "",
		`{"method":"limit"`:                                `Invalid queries: Invalid query: {"method":"limit"`,
		`{"method":"li mit","values":[1]}`:                 `Invalid queries: Invalid query: {"method":"li mit","values":[1]}`,
		`{"method":"offset","values":[-1]}`:                "Invalid queries: Query not valid: Invalid offset: Value must be a valid range between 0 and 9,223,372,036,854,775,807",
		`{"method":"limit","values":[1.5]}`:                "Invalid queries: Query not valid: Invalid limit: Value must be a valid range between 0 and 100",
		`{"method":"limit","values":["2"],"attribute":""}`: "",
	} {
		r := e.do("GET", "/v1/account/logs?"+url.Values{"queries[]": {raw}}.Encode(), "", cookieHeader(c))
		if msg == "" {
			if r.status != 200 {
				t.Errorf("%s: %d %s", raw, r.status, r.body)
			}
			continue
		}
		checkError(t, r, 400, "general_argument_invalid", msg)
	}
}

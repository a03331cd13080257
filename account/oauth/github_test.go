package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// fakeGitHub serves GitHub's API shapes: the token endpoint (form-encoded
// reply, as GitHub sends without Accept: application/json), /user and
// /user/emails. The code picks the user.
type fakeGitHub struct {
	t        *testing.T
	verifier string
	srv      *httptest.Server
}

var githubUsers = map[string]struct{ user, emails string }{
	// Public email, primary verified address in the list.
	"octo": {`{"id":583231,"login":"octocat","name":"The Octocat","email":"public@example.com"}`,
		`[{"email":"old@example.com","primary":false,"verified":true},{"email":"octo@example.com","primary":true,"verified":true}]`},
	// No public email, no name: the list gives the primary verified address.
	"private": {`{"id":99,"login":"hidden","name":null,"email":null}`,
		`[{"email":"hidden@example.com","primary":true,"verified":true,"visibility":null}]`},
	// No public email and no access to the list.
	"noemail": {`{"id":7,"login":"nomail","name":"No Mail","email":null}`, ``},
	// Unverified primary address only.
	"unverified": {`{"id":8,"login":"u","name":"U","email":null}`, `[{"email":"u@example.com","primary":true,"verified":false}]`},
	// The user API fails.
	"broken": {``, ``},
	// The user API names nobody.
	"anonymous": {`{"login":"ghost"}`, `[]`},
}

func newFakeGitHub(t *testing.T, verifier string) *fakeGitHub {
	f := &fakeGitHub{t: t, verifier: verifier}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		f2 := r.PostForm
		if f2.Get("client_id") != "gh-id" || f2.Get("client_secret") != "gh-secret" || f2.Get("grant_type") != "authorization_code" {
			fmt.Fprint(w, "error=incorrect_client_credentials")
			return
		}
		if f2.Get("code_verifier") != f.verifier {
			fmt.Fprint(w, "error=invalid_grant&error_description=PKCE+verification+failed")
			return
		}
		if f2.Get("redirect_uri") != "https://app.example.com/v1/account/sessions/oauth2/callback/github/p1" {
			fmt.Fprint(w, "error=redirect_uri_mismatch")
			return
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		fmt.Fprintf(w, "access_token=gho_%s&scope=user%%3Aemail&token_type=bearer", url.QueryEscape(f2.Get("code")))
	})
	user := func(r *http.Request) (string, bool) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer gho_")
		u, known := githubUsers[tok]
		return tok, ok && known && u.user != ""
	}
	mux.HandleFunc("GET /user", func(w http.ResponseWriter, r *http.Request) {
		tok, ok := user(r)
		if !ok {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		if r.Header.Get("Accept") != "application/vnd.github+json" {
			t.Errorf("Accept = %q", r.Header.Get("Accept"))
		}
		fmt.Fprint(w, githubUsers[tok].user)
	})
	mux.HandleFunc("GET /user/emails", func(w http.ResponseWriter, r *http.Request) {
		tok, ok := user(r)
		if !ok || githubUsers[tok].emails == "" {
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
			return
		}
		fmt.Fprint(w, githubUsers[tok].emails)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func TestGitHubFlow(t *testing.T) {
	verifier := oauth2.GenerateVerifier()
	f := newFakeGitHub(t, verifier)
	c := mustClient(t, "github", Settings{
		ClientID: "gh-id", ClientSecret: "gh-secret",
		AuthURL:  f.srv.URL + "/login/oauth/authorize",
		TokenURL: f.srv.URL + "/login/oauth/access_token",
		UserURL:  f.srv.URL + "/user",
	})

	raw, err := c.AuthCodeURL(context.Background(), "signed-state", "nonce-ignored", verifier, []string{"read:org", "user:email"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	if u.Scheme+"://"+u.Host+u.Path != f.srv.URL+"/login/oauth/authorize" {
		t.Errorf("authorize URL = %s", raw)
	}
	for k, want := range map[string]string{
		"client_id":             "gh-id",
		"redirect_uri":          "https://app.example.com/v1/account/sessions/oauth2/callback/github/p1",
		"response_type":         "code",
		"state":                 "signed-state",
		"scope":                 "user:email read:org",
		"code_challenge":        oauth2.S256ChallengeFromVerifier(verifier),
		"code_challenge_method": "S256",
		"nonce":                 "",
		"response_mode":         "",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("authorize %s = %q, want %q", k, got, want)
		}
	}
	if _, err := c.AuthCodeURL(context.Background(), "st", "", "short", nil); err == nil {
		t.Error("a bad PKCE verifier must be refused")
	}
	if _, err := c.AuthCodeURL(context.Background(), "", "", verifier, nil); err == nil {
		t.Error("an empty state must be refused")
	}
	if c.FormPost() {
		t.Error("github does not use form_post")
	}

	ctx := context.Background()
	for _, tc := range []struct {
		code string
		want Identity
	}{
		{"octo", Identity{ID: "583231", Email: "octo@example.com", Name: "The Octocat", EmailVerified: true}},
		{"private", Identity{ID: "99", Email: "hidden@example.com", Name: "hidden", EmailVerified: true}},
		{"noemail", Identity{ID: "7", Name: "No Mail"}},
		{"unverified", Identity{ID: "8", Email: "u@example.com", Name: "U"}},
	} {
		tok, id, err := c.Exchange(ctx, tc.code, verifier, "")
		if err != nil {
			t.Errorf("%s: %v", tc.code, err)
			continue
		}
		if id != tc.want {
			t.Errorf("%s: identity = %+v, want %+v", tc.code, id, tc.want)
		}
		if tok.AccessToken != "gho_"+tc.code {
			t.Errorf("%s: access token = %q", tc.code, tok.AccessToken)
		}
	}

	if _, _, err := c.Exchange(ctx, "broken", verifier, ""); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("failing user API: err = %v", err)
	}
	if _, _, err := c.Exchange(ctx, "anonymous", verifier, ""); !errors.Is(err, ErrNoUserID) {
		t.Errorf("user without id: err = %v, want ErrNoUserID", err)
	}
	if _, _, err := c.Exchange(ctx, "octo", oauth2.GenerateVerifier(), ""); err == nil {
		t.Error("a wrong PKCE verifier must fail the exchange")
	}
	if _, _, err := c.Exchange(ctx, "", verifier, ""); err == nil {
		t.Error("an empty code must be refused")
	}
}

package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

func TestRefresh(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		r.ParseForm()
		if !ok || id != "sp-id" || secret != "sp-secret" || r.PostForm.Get("grant_type") != "refresh_token" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.PostForm.Get("refresh_token") {
		case "rotate":
			fmt.Fprint(w, `{"access_token":"at-2","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-2"}`)
		case "keep":
			fmt.Fprint(w, `{"access_token":"at-3","token_type":"Bearer","expires_in":3600}`)
		default:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant","error_description":"Invalid refresh token"}`)
		}
	}))
	defer srv.Close()
	c := mustClient(t, "spotify", Settings{ClientID: "sp-id", ClientSecret: "sp-secret", TokenURL: srv.URL, AuthURL: srv.URL, UserURL: srv.URL})
	ctx := context.Background()

	tok, err := c.Refresh(ctx, "rotate")
	if err != nil || tok.AccessToken != "at-2" || tok.RefreshToken != "rt-2" || tok.Expiry.IsZero() {
		t.Errorf("rotating refresh: %+v, %v", tok, err)
	}
	tok, err = c.Refresh(ctx, "keep")
	if err != nil || tok.AccessToken != "at-3" || tok.RefreshToken != "keep" {
		t.Errorf("refresh without a new refresh token: %+v, %v", tok, err)
	}
	var re *oauth2.RetrieveError
	if _, err := c.Refresh(ctx, "revoked"); err == nil || !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("revoked refresh token: err = %v", err)
	}
	if _, err := c.Refresh(ctx, ""); err == nil {
		t.Error("an empty refresh token must be refused")
	}
}

// quirkServer answers a token request with tokenReply and the user API
// with userReply, recording the token request for checks.
type quirkServer struct {
	srv        *httptest.Server
	tokenReply string
	userReply  map[string]string // path → body
	tokenReq   *http.Request
	tokenBody  string
	userReqs   []*http.Request
}

func newQuirkServer(t *testing.T, tokenReply string, userReply map[string]string) *quirkServer {
	q := &quirkServer{tokenReply: tokenReply, userReply: userReply}
	q.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/token" {
			b, _ := io.ReadAll(r.Body)
			q.tokenReq, q.tokenBody = r, string(b)
			fmt.Fprint(w, q.tokenReply)
			return
		}
		q.userReqs = append(q.userReqs, r)
		body, ok := q.userReply[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(q.srv.Close)
	return q
}

func (q *quirkServer) client(t *testing.T, name, user string) *Client {
	return mustClient(t, name, Settings{ClientID: "cid", ClientSecret: "csecret", AuthURL: q.srv.URL + "/auth", TokenURL: q.srv.URL + "/token", UserURL: q.srv.URL + user})
}

func TestProviderQuirks(t *testing.T) {
	ctx := context.Background()
	verifier := oauth2.GenerateVerifier()

	t.Run("yammer nested token", func(t *testing.T) {
		q := newQuirkServer(t, `{"user":{"id":1},"access_token":{"token":"yam-tok","user_id":1}}`,
			map[string]string{"/me": `{"id":1490,"full_name":"Yam Mer","email":"y@example.com"}`})
		tok, id, err := q.client(t, "yammer", "/me").Exchange(ctx, "c", "", "")
		if err != nil || tok.AccessToken != "yam-tok" || id != (Identity{ID: "1490", Email: "y@example.com", Name: "Yam Mer"}) {
			t.Errorf("%+v %+v %v", tok, id, err)
		}
		if got := q.userReqs[0].Header.Get("Authorization"); got != "Bearer yam-tok" {
			t.Errorf("Authorization = %q", got)
		}
	})

	t.Run("podio JSON token request", func(t *testing.T) {
		q := newQuirkServer(t, `{"access_token":"pod","token_type":"bearer","refresh_token":"r"}`, map[string]string{
			"/user":         `{"user_id":42,"mail":"p@example.com","mails":[{"mail":"p@example.com","verified":true}]}`,
			"/user/profile": `{"name":"Pod Io"}`,
		})
		_, id, err := q.client(t, "podio", "/user").Exchange(ctx, "c", "", "")
		if err != nil || id != (Identity{ID: "42", Email: "p@example.com", Name: "Pod Io", EmailVerified: true}) {
			t.Errorf("%+v %v", id, err)
		}
		var body map[string]string
		if q.tokenReq.Header.Get("Content-Type") != "application/json" || json.Unmarshal([]byte(q.tokenBody), &body) != nil ||
			body["client_secret"] != "csecret" || body["code"] != "c" {
			t.Errorf("token request %q: %s", q.tokenReq.Header.Get("Content-Type"), q.tokenBody)
		}
		if got := q.userReqs[0].Header.Get("Authorization"); got != "OAuth2 pod" {
			t.Errorf("Authorization = %q", got)
		}
	})

	t.Run("etsy public client", func(t *testing.T) {
		q := newQuirkServer(t, `{"access_token":"12345678.tok","token_type":"Bearer","refresh_token":"12345678.r"}`,
			map[string]string{"/users/12345678": `{"user_id":12345678,"primary_email":"e@example.com","first_name":"Et","last_name":"Sy"}`})
		_, id, err := q.client(t, "etsy", "/users").Exchange(ctx, "c", verifier, "")
		if err != nil || id != (Identity{ID: "12345678", Email: "e@example.com", Name: "Et Sy"}) {
			t.Errorf("%+v %v", id, err)
		}
		if strings.Contains(q.tokenBody, "csecret") || q.tokenReq.Header.Get("Authorization") != "" || !strings.Contains(q.tokenBody, "code_verifier=") {
			t.Errorf("token request must carry no secret and a verifier: %s", q.tokenBody)
		}
		if got := q.userReqs[0].Header.Get("x-api-key"); got != "cid:csecret" {
			t.Errorf("x-api-key = %q", got)
		}
	})

	t.Run("facebook appsecret_proof", func(t *testing.T) {
		q := newQuirkServer(t, `{"access_token":"fb-tok","token_type":"bearer","expires_in":5000}`,
			map[string]string{"/me": `{"id":"10158","name":"Face Book","email":"f@example.com"}`})
		_, id, err := q.client(t, "facebook", "/me?fields=id,name,email").Exchange(ctx, "c", "", "")
		if err != nil || id != (Identity{ID: "10158", Email: "f@example.com", Name: "Face Book"}) {
			t.Errorf("%+v %v", id, err)
		}
		mac := hmac.New(sha256.New, []byte("csecret"))
		mac.Write([]byte("fb-tok"))
		uq := q.userReqs[0].URL.Query()
		if uq.Get("appsecret_proof") != hex.EncodeToString(mac.Sum(nil)) || uq.Get("access_token") != "fb-tok" || uq.Get("fields") != "id,name,email" {
			t.Errorf("user request = %s", q.userReqs[0].URL)
		}
	})

	t.Run("stripe account from token reply", func(t *testing.T) {
		q := newQuirkServer(t, `{"access_token":"sk_acct","token_type":"bearer","stripe_user_id":"acct_123"}`,
			map[string]string{"/v1/account": `{"id":"acct_123","email":"s@example.com","business_profile":{"name":"Shop"}}`})
		_, id, err := q.client(t, "stripe", "/v1/account").Exchange(ctx, "c", "", "")
		if err != nil || id != (Identity{ID: "acct_123", Email: "s@example.com", Name: "Shop"}) {
			t.Errorf("%+v %v", id, err)
		}
	})

	t.Run("zoom verified flag", func(t *testing.T) {
		q := newQuirkServer(t, `{"access_token":"z","token_type":"bearer"}`,
			map[string]string{"/me": `{"id":"KDcuGIm1QgePTO8WbOqwIQ","first_name":"Zo","last_name":"Om","email":"z@example.com","verified":1}`})
		_, id, err := q.client(t, "zoom", "/me").Exchange(ctx, "c", verifier, "")
		if err != nil || id != (Identity{ID: "KDcuGIm1QgePTO8WbOqwIQ", Email: "z@example.com", Name: "Zo Om", EmailVerified: true}) {
			t.Errorf("%+v %v", id, err)
		}
	})

	t.Run("bitbucket emails", func(t *testing.T) {
		q := newQuirkServer(t, `{"access_token":"bb","token_type":"bearer"}`, map[string]string{
			"/2.0/user":        `{"uuid":"{u-1}","display_name":"Bit Bucket"}`,
			"/2.0/user/emails": `{"values":[{"email":"a@example.com","is_primary":false,"is_confirmed":true},{"email":"b@example.com","is_primary":true,"is_confirmed":true}]}`,
		})
		_, id, err := q.client(t, "bitbucket", "/2.0/user").Exchange(ctx, "c", "", "")
		if err != nil || id != (Identity{ID: "{u-1}", Email: "b@example.com", Name: "Bit Bucket", EmailVerified: true}) {
			t.Errorf("%+v %v", id, err)
		}
		if u, p, ok := q.tokenReq.BasicAuth(); !ok || u != "cid" || p != "csecret" {
			t.Error("bitbucket wants Basic client authentication")
		}
	})
}

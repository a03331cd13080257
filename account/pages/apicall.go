package pages

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// apiError is an Appwrite error object as the API sent it, and the form
// field it concerns ("" for the form as a whole).
type apiError struct {
	Message string `json:"message"`
	Code    int    `json:"code"`
	Type    string `json:"type"`
	Field   string `json:"-"`
}

// result is the API's answer to one in-process call.
type result struct {
	status int
	body   []byte
	err    *apiError // set when status >= 400
}

// recorder keeps an in-process API response.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (rec *recorder) Header() http.Header { return rec.header }

func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
}

func (rec *recorder) Write(b []byte) (int, error) {
	rec.WriteHeader(http.StatusOK)
	return rec.body.Write(b)
}

// droppedHeaders are request headers the page's call must not carry to
// the API: the page speaks for the browser's cookie session only, in the
// default response format, with its own body.
var droppedHeaders = []string{"Content-Type", "Content-Length", "Accept", "Authorization",
	"X-Appwrite-Key", "X-Appwrite-JWT", "X-Appwrite-Session", "X-Fallback-Cookies",
	"X-Appwrite-Response-Format", "X-Appwrite-Project"}

// callAPI runs the Account API route (method, /v1/account+route) with
// form as its parameters, in-process, with the browser's own request
// headers (cookie, Origin, Referer, User-Agent) and address, so the API
// pipeline treats it as the browser's request. On success the cookies
// the API set are passed on to the browser.
func (c *call) callAPI(method, route string, form url.Values) *result {
	req := c.r.Clone(c.r.Context())
	target := &url.URL{Path: "/v1/account" + route}
	enc := form.Encode()
	if method == http.MethodGet {
		target.RawQuery = enc
		enc = ""
	}
	req.Method, req.URL, req.RequestURI = method, target, target.RequestURI()
	for _, h := range droppedHeaders {
		req.Header.Del(h)
	}
	req.Header.Set("X-Appwrite-Project", c.p.cfg.ProjectID)
	req.Header.Set("Accept", "application/json")
	if enc != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Body, req.ContentLength = io.NopCloser(strings.NewReader(enc)), int64(len(enc))
	req.Form, req.PostForm, req.MultipartForm = nil, nil, nil

	rec := &recorder{header: http.Header{}}
	c.api.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	res := &result{status: rec.status, body: rec.body.Bytes()}
	if res.status >= 400 {
		res.err = &apiError{}
		if json.Unmarshal(res.body, res.err) != nil || res.err.Type == "" {
			res.err = &apiError{Code: res.status, Type: "general_unknown", Message: "Server Error"}
		}
		res.err.Field = errorField(res.err)
		return res
	}
	for _, cookie := range rec.header.Values("Set-Cookie") {
		c.w.Header().Add("Set-Cookie", cookie)
	}
	return res
}

// errorFields name the field some error types are about.
var errorFields = map[string]string{
	"user_invalid_credentials":    "password",
	"user_already_exists":         "email",
	"user_email_already_exists":   "email",
	"user_phone_already_exists":   "phone",
	"user_password_mismatch":      "passwordAgain",
	"user_password_recently_used": "password",
	"user_password_personal_data": "password",
	"user_invalid_token":          "secret",
}

// errorField is the field err is about: the one its type names, or the
// parameter its message names, in any of the API's spellings:
// "Invalid `name` param: …", "Invalid name: …", `Param "name" is not
// optional.`.
func errorField(err *apiError) string {
	if f, ok := errorFields[err.Type]; ok {
		return f
	}
	m := err.Message
	var name string
	switch {
	case strings.HasPrefix(m, "Invalid `"):
		name, _, _ = strings.Cut(m[len("Invalid `"):], "`")
	case strings.HasPrefix(m, "Invalid "):
		name, _, _ = strings.Cut(m[len("Invalid "):], ":")
	case strings.HasPrefix(m, `Param "`):
		name, _, _ = strings.Cut(m[len(`Param "`):], `"`)
	}
	if len(name) > 64 || strings.ContainsAny(name, " .") {
		return ""
	}
	return name
}

// decode reads a field of a successful result's JSON body.
func (res *result) decode(v any) bool { return json.Unmarshal(res.body, v) == nil }

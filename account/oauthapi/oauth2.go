package oauthapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/domain"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/oauth"
	"github.com/accountgate/accountgate/account/verify"
)

// oauthNonceCookie binds a flow to the browser that started it. It is
// SameSite=None; Secure so that it survives cross-site callbacks such as
// Apple's form_post.
func (s *OAuth2) oauthNonceCookie() string {
	return "a_oauth_" + strings.ToLower(s.Project.ProjectID)
}

// OAuthCallbackURL is the redirect URI to register with a provider: where
// it sends the browser back. It is built from the public URL, never the
// request, and keeps a non-default port (part A item 25).
func OAuthCallbackURL(publicURL, projectID, provider string) (string, error) {
	u, err := url.Parse(publicURL)
	if err != nil {
		return "", err
	}
	return u.JoinPath(httpapi.APIPrefix, "sessions/oauth2/callback", provider, projectID).String(), nil
}

func providerNames() string {
	names := oauth.Names()
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// oauthProvider resolves the {provider} path parameter.
func (s *OAuth2) oauthProvider(r *httpapi.Request) (string, core.OAuthProvider, error) {
	name := r.PathValue("provider")
	if _, known := oauth.Lookup(name); !known {
		return "", nil, core.InvalidParam("provider", "Value must be one of ("+providerNames()+")")
	}
	p, ok := s.Project.OAuth2[name]
	if !ok {
		return "", nil, core.Errorf(core.ErrProjectProviderDisabled, "This provider is disabled. Please enable the provider from your Appwrite console to continue.")
	}
	return name, p, nil
}

// createOAuth2Session is GET /v1/account/sessions/oauth2/{provider}: it
// sends the browser to the provider; the flow ends with a session cookie.
func (s *OAuth2) createOAuth2Session(w http.ResponseWriter, r *httpapi.Request) error {
	return s.startOAuth(w, r, false)
}

// createOAuth2Token is GET /v1/account/tokens/oauth2/{provider}: the same
// flow, ending on the success URL with userId and secret for POST
// /sessions/token instead of a cookie.
func (s *OAuth2) createOAuth2Token(w http.ResponseWriter, r *httpapi.Request) error {
	return s.startOAuth(w, r, true)
}

// startOAuth sends the browser to the provider; token says how the flow
// ends (oauthState.Token).
func (s *OAuth2) startOAuth(w http.ResponseWriter, r *httpapi.Request, token bool) error {
	name, p, err := s.oauthProvider(r)
	if err != nil {
		return err
	}
	success, err := s.oauthTarget(r, "success", httpapi.OAuthSuccessPage)
	if err != nil {
		return err
	}
	failure, err := s.oauthTarget(r, "failure", httpapi.OAuthFailurePage)
	if err != nil {
		return err
	}
	scopes, err := readScopes(r.URL.Query())
	if err != nil {
		return err
	}
	var raw [32]byte
	rand.Read(raw[:])
	nonce := hex.EncodeToString(raw[:])
	state := s.signState(oauthState{Provider: name, Success: success, Failure: failure,
		Binding: nonceBinding(nonce), Expires: s.Project.Now().Add(oauthStateLifetime).Unix(), Token: token})
	target, err := p.AuthCodeURL(r.Context(), state, s.derive("oidc", nonce), s.derive("pkce", nonce), scopes)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: s.oauthNonceCookie(), Value: nonce, Path: httpapi.APIPrefix + "/sessions/oauth2",
		MaxAge: int(oauthStateLifetime / time.Second), HttpOnly: true, Secure: true, SameSite: http.SameSiteNoneMode})
	httpapi.NoCache(w)
	http.Redirect(w, r.Request, target, http.StatusMovedPermanently)
	return nil
}

// oauthTarget reads the success or failure URL: a platform host, or the
// instance's own page when absent.
func (s *OAuth2) oauthTarget(r *httpapi.Request, name, page string) (string, error) {
	raw, ok, err := r.Params.String(name, "")
	if err != nil || !ok {
		return s.PublicURL.JoinPath(page).String(), err
	}
	u, err := s.RedirectURL(name, raw)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// readScopes reads scopes[]: at most 100, each 1..4096 characters.
func readScopes(q url.Values) ([]string, error) {
	var scopes []string
	for key, vals := range q {
		if key == "scopes" || key == "scopes[]" || (strings.HasPrefix(key, "scopes[") && strings.HasSuffix(key, "]")) {
			scopes = append(scopes, vals...)
		}
	}
	if len(scopes) > 100 {
		return nil, core.InvalidParam("scopes", "Value must a valid array and Value must be a valid string and at least 1 chars and no longer than 4096 chars")
	}
	for _, sc := range scopes {
		if !core.ValidText(sc, 4096) {
			return nil, core.InvalidParam("scopes", "Value must a valid array and Value must be a valid string and at least 1 chars and no longer than 4096 chars")
		}
	}
	return scopes, nil
}

// oauth2Callback is GET|POST /v1/account/sessions/oauth2/callback/{provider}/{projectId}:
// the provider sends the browser back here. Every outcome is a redirect:
// to success with a session, or to failure with the error; only a state
// that cannot be trusted gets an error page, because its URLs can't be.
func (s *OAuth2) oauth2Callback(w http.ResponseWriter, r *httpapi.Request) error {
	if r.PathValue("projectId") != s.Project.ProjectID {
		return core.NewError(core.ErrProjectNotFound)
	}
	name, p, err := s.oauthProvider(r)
	if err != nil {
		return err
	}
	nonce := ""
	if c, err := r.Cookie(s.oauthNonceCookie()); err == nil {
		nonce = c.Value
	}
	rawState, _, _ := r.Params.String("state", "")
	st, err := s.openState(rawState, nonce, s.Project.Now())
	if err != nil || st.Provider != name {
		return httpapi.ArgumentError("%s", errBadState.Error())
	}
	// The cookie is spent; clear it whatever happens next.
	http.SetCookie(w, &http.Cookie{Name: s.oauthNonceCookie(), Value: "", Path: httpapi.APIPrefix + "/sessions/oauth2",
		MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteNoneMode})
	// The hosts were checked when the flow started; check again, since the
	// platform list may have changed since (part A item 21).
	success, errS := s.RedirectURL("success", st.Success)
	failure, errF := s.RedirectURL("failure", st.Failure)
	if errS != nil || errF != nil {
		return httpapi.ArgumentError("The success or failure URL is no longer allowed for this project.")
	}
	if replay, err := s.stateReplayed(r.Context(), nonce); err != nil || replay {
		if err != nil {
			return err
		}
		return httpapi.ArgumentError("%s", errBadState.Error())
	}
	if st.Token {
		user, ident, err := s.oauthTokenUser(r, name, p, nonce)
		if err != nil {
			s.redirectFailure(w, r.Request, failure, core.AsError(err))
			return nil
		}
		return s.oauthTokenRedirect(w, r, success, user, ident)
	}
	sess, secret, user, err := s.finishOAuth(r, name, p, nonce)
	if err != nil {
		s.ObserveOAuthFailure(r, name, err)
		s.redirectFailure(w, r.Request, failure, core.AsError(err))
		return nil
	}
	s.SetSessionCookies(w, r.Request, user.ID, secret, sess)
	target := *success
	if target.Path == httpapi.OAuthSuccessPage && target.Host == s.PublicURL.Host {
		// The default page (mobile SDKs) gets the session in the query.
		q := target.Query()
		q.Set("project", s.Project.ProjectID)
		q.Set("key", s.CookieName())
		q.Set("secret", verify.EncodeToken(user.ID, secret))
		if s.Project.CookieDomain != "" {
			q.Set("domain", s.Project.CookieDomain)
		}
		target.RawQuery = q.Encode()
	}
	httpapi.NoCache(w)
	http.Redirect(w, r.Request, target.String(), http.StatusMovedPermanently)
	return nil
}

// stateReplayed reports whether this flow's state was already used. The
// nonce is counted in fixed windows longer than the state lives, checking
// the previous window too, so a replay is caught on every instance that
// shares the rate limiter.
func (s *OAuth2) stateReplayed(ctx context.Context, nonce string) (bool, error) {
	const window = 24 * time.Hour
	key := "oauth.state|" + nonce
	now := s.Project.Now()
	if n, err := s.Limiter.Count(ctx, key, window, now.Add(-window)); err != nil || n > 0 {
		return n > 0, err
	}
	_, allowed, err := s.Limiter.Take(ctx, key, 1, window, now)
	return !allowed, err
}

// redirectFailure sends the browser to the failure URL with the error.
func (s *OAuth2) redirectFailure(w http.ResponseWriter, r *http.Request, failure *url.URL, e *core.Error) {
	if e.Status() >= 500 {
		s.Log.Error("oauth2 sign-in failed", "error", e)
	}
	body, _ := json.Marshal(httpapi.ErrorBody{Message: e.Message, Code: e.Status(), Type: string(e.Type), Version: core.Version})
	target := *failure
	q := target.Query()
	q.Set("error", string(body))
	target.RawQuery = q.Encode()
	httpapi.NoCache(w)
	http.Redirect(w, r, target.String(), http.StatusMovedPermanently)
}

// finishOAuth exchanges the code and signs the right user in.
func (s *OAuth2) finishOAuth(r *httpapi.Request, name string, p core.OAuthProvider, nonce string) (*core.Session, string, *core.User, error) {
	user, ident, tok, err := s.oauthUser(r, name, p, nonce)
	if err != nil {
		return nil, "", nil, err
	}
	sess, secret, err := s.CreateSession(r.Context(), domain.NewSessionInput{User: user, Provider: name, ProviderUID: ident.ID, R: r.Request,
		Tokens: s.SealTokens(tok)})
	if err != nil {
		return nil, "", nil, err
	}
	s.Audit(r, user, "session.create")
	return sess, secret, user, nil
}

// oauthTokenUser is oauthUser for the token flow: it returns the linked
// identity the token will be bound to.
func (s *OAuth2) oauthTokenUser(r *httpapi.Request, name string, p core.OAuthProvider, nonce string) (*core.User, *core.LinkedIdentity, error) {
	user, ident, _, err := s.oauthUser(r, name, p, nonce)
	if err != nil {
		return nil, nil, err
	}
	linked, err := s.Store.IdentityByProvider(r.Context(), name, ident.ID)
	if err != nil {
		return nil, nil, err
	}
	return user, linked, nil
}

// oauthUser exchanges the code and finds (or links, or creates) the user
// the provider identity signs into; a blocked user is refused.
func (s *OAuth2) oauthUser(r *httpapi.Request, name string, p core.OAuthProvider, nonce string) (*core.User, oauth.Identity, *oauth2.Token, error) {
	ctx := r.Context()
	fail := func(err error) (*core.User, oauth.Identity, *oauth2.Token, error) {
		return nil, oauth.Identity{}, nil, err
	}
	if e, _, _ := r.Params.String("error", ""); e != "" {
		return fail(core.Errorf(core.ErrUserOAuthFailed, "The provider refused the sign-in: %s", core.Truncate(e, 200)))
	}
	code, _, _ := r.Params.String("code", "")
	if !core.ValidText(code, 2048) {
		return fail(core.InvalidParam("code", core.DescText(2048)))
	}
	var opts []oauth.ExchangeOption
	if user, _, _ := r.Params.String("user", ""); user != "" {
		// Apple sends the user's name only in the first form post.
		opts = append(opts, oauth.WithAppleUser(core.Truncate(user, 4096)))
	}
	tok, ident, err := p.Exchange(ctx, code, s.derive("pkce", nonce), s.derive("oidc", nonce), opts...)
	if err != nil {
		if errors.Is(err, oauth.ErrNoUserID) {
			return fail(core.NewError(core.ErrUserMissingID))
		}
		s.Log.Warn("oauth2 code exchange failed", "provider", name, "error", err)
		return fail(core.Errorf(core.ErrUserOAuthFailed, "The sign-in with %s failed. Please try again.", name))
	}
	if ident.ID == "" {
		return fail(core.NewError(core.ErrUserMissingID))
	}
	user, err := s.linkOAuthUser(r, name, ident)
	if err != nil {
		return fail(err)
	}
	if !user.Status {
		return fail(core.NewError(core.ErrUserBlocked))
	}
	return user, ident, tok, nil
}

// linkOAuthUser finds or creates the account a provider identity signs
// into (issue rules): the signed-in user; else the account already linked
// to the identity; else an account with the same email, but only when
// both the provider and the account have verified it (otherwise whoever
// pre-registered the address would capture the account); else a new one.
func (s *OAuth2) linkOAuthUser(r *httpapi.Request, provider string, ident oauth.Identity) (*core.User, error) {
	ctx := r.Context()
	email := core.NormalizeEmail(ident.Email)
	if email != "" && !core.ValidEmail(email) {
		email = ""
	}
	linked, err := s.Store.IdentityByProvider(ctx, provider, ident.ID)
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		return nil, err
	}
	// The pipeline already resolved who is signed in (if anyone).
	current := r.Principal
	now := s.Clock()
	link := func(u *core.User) error {
		err := s.Store.CreateIdentity(ctx, &core.LinkedIdentity{ID: core.NewID(now), UserID: u.ID, Provider: provider,
			ProviderUID: ident.ID, ProviderEmail: email, CreatedAt: now})
		if errors.Is(err, core.ErrConflict) {
			return core.Errorf(core.ErrUserAlreadyExists, "This %s account is already linked to another user.", provider)
		}
		return err
	}
	switch {
	case current != nil:
		if linked != nil && linked.UserID != current.User.ID {
			return nil, core.Errorf(core.ErrUserAlreadyExists, "This %s account is already linked to another user.", provider)
		}
		// The cached user is trimmed: change a fresh copy.
		u, err := s.Store.UserByID(ctx, current.User.ID)
		if err != nil {
			return nil, err
		}
		if linked == nil {
			if err := link(u); err != nil {
				return nil, err
			}
		}
		// An account without password or email (anonymous) takes its
		// email and name from the provider.
		if !domain.HasPassword(u) && u.Email == "" && email != "" {
			return s.ChangeUser(ctx, u.ID, core.ErrUserEmailAlreadyExists, func(_ core.Store, u *core.User) error {
				if domain.HasPassword(u) || u.Email != "" {
					return nil // changed meanwhile: what the user chose stands
				}
				u.Email, u.EmailVerification = email, ident.EmailVerified
				if u.Name == "" {
					u.Name = core.CleanName(ident.Name)
				}
				return nil
			})
		}
		return u, nil
	case linked != nil:
		return s.UserForToken(ctx, linked.UserID)
	}
	if email == "" {
		return nil, core.Errorf(core.ErrUserOAuthFailed, "%s did not share an email address, which a new account needs.", provider)
	}
	existing, err := s.Store.UserByEmail(ctx, email)
	switch {
	case err == nil && ident.EmailVerified && existing.EmailVerification:
		if err := link(existing); err != nil {
			return nil, err
		}
		return existing, nil
	case err == nil:
		return nil, core.Errorf(core.ErrUserAlreadyExists, "An account with this email already exists. Sign in to it first, then connect %s.", provider)
	case !errors.Is(err, core.ErrNotFound):
		return nil, err
	}
	u := &core.User{ID: core.NewID(now), CreatedAt: now, UpdatedAt: now, Registration: now, Status: true,
		Email: email, EmailVerification: ident.EmailVerified, Name: core.CleanName(ident.Name)}
	err = s.Store.WithTx(ctx, func(tx core.Store) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			if errors.Is(err, core.ErrConflict) {
				return core.NewError(core.ErrUserAlreadyExists)
			}
			return err
		}
		return tx.CreateIdentity(ctx, &core.LinkedIdentity{ID: core.NewID(now), UserID: u.ID, Provider: provider,
			ProviderUID: ident.ID, ProviderEmail: email, CreatedAt: now})
	})
	if err != nil {
		return nil, err
	}
	s.ObserveCreated(r, u, core.MethodOAuth2, provider, nil)
	return u, nil
}

// oauthTokenRedirect sends the browser of a finished OAuth2 token flow to
// success with userId and secret (a token of the identity just used)
// instead of a session cookie.
func (s *OAuth2) oauthTokenRedirect(w http.ResponseWriter, r *httpapi.Request, success *url.URL, user *core.User, ident *core.LinkedIdentity) error {
	secret := core.NewSecret()
	tok := s.NewToken(r, user.ID, "", core.TokenOAuth2, core.OAuth2TokenLifetime, secret)
	tok.Target = core.OAuth2TokenTarget(ident.ID)
	if err := s.Store.CreateToken(r.Context(), tok); err != nil {
		return err
	}
	target := *success
	q := target.Query()
	q.Set("userId", user.ID)
	q.Set("secret", secret)
	target.RawQuery = q.Encode()
	httpapi.NoCache(w)
	http.Redirect(w, r.Request, target.String(), http.StatusMovedPermanently)
	return nil
}

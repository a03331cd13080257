// Package oauth knows the OAuth2 sign-in providers of the Appwrite 1.3
// Account API (GET /v1/account/sessions/oauth2/{provider}): their
// endpoints, default scopes, PKCE support, and how each one tells who the
// user is. The account package runs the HTTP flow (state, cookies,
// sessions, linking) on top of it; this package imports neither account
// nor Caddy.
//
// Use:
//
//	p, ok := oauth.Lookup("github")
//	c, err := oauth.NewClient(ctx, p, settings, callbackURL, nil)
//	url, err := c.AuthCodeURL(r.Context(), state, nonce, verifier, extraScopes)
//	// … the provider calls back (GET, or POST when c.FormPost()) …
//	tok, id, err := c.Exchange(ctx, code, verifier, nonce)
//	tok, err = c.Refresh(ctx, tok.RefreshToken)
//
// The caller generates verifier (oauth2.GenerateVerifier) and nonce for
// every sign-in and keeps them with its state; the client uses each only
// where the provider supports it.
//
// Providers whose identity comes from a verified OpenID Connect ID token
// (go-oidc: discovery, signature, issuer, audience, expiry, nonce; the
// userinfo endpoint fills in a missing email): apple, auth0, authentik (when
// Settings.Issuer names the application's issuer; otherwise its userinfo
// endpoint), gitlab, google, linkedin, microsoft, okta, salesforce, slack,
// twitch, yahoo, and the generic "oidc" (Settings.Issuer required).
//
// Providers identified through their user API: amazon, autodesk (OIDC
// userinfo shape), bitbucket, bitly, box, dailymotion, discord, disqus,
// dropbox, etsy, facebook, github, notion, paypal and paypalSandbox (their
// ID tokens are HS256-signed with the client secret), podio, spotify,
// stripe, tradeshift, tradeshiftBox, wordpress, yammer, yandex, zoom.
//
// PKCE (S256) is used for amazon, auth0, authentik, autodesk, dropbox,
// etsy, github, gitlab, google, microsoft, okta, salesforce, spotify,
// yandex, zoom, and for "oidc" when its discovery document advertises S256.
//
// Identity.EmailVerified is true only when the provider asserts it
// (email_verified claims, GitHub/Bitbucket/Bitly/PayPal/Podio email lists,
// Discord/Zoom/WordPress/Dropbox flags, Microsoft's optional xms_edov
// claim); providers without such a notion report false, and the caller
// must not link accounts by such an email.
//
// Apple: the client secret is an ES256 JWT made from Settings.TeamID,
// KeyID and PrivateKeyPEM; the callback is a form post; the user's name
// arrives only in the first callback's "user" field, passed to Exchange
// with WithAppleUser.
package oauth

// Package pages serves the hosted sign-in and account pages of a project
// (issue 13 §1): html/template and embedded files, no third-party assets,
// forms that work without JavaScript. Every form posts to a page, which
// runs the matching /v1/account route of the Account API in-process
// (same pipeline: Origin check, rate limits, security log), passes the
// API's cookies on and answers 303 to the return path, or shows the page
// again with the API's error next to its field.
//
// Pages, under the prefix (default /auth/), with their form fields
// (named as the API's parameters) and button texts:
//
//	GET  signin[?return=<path>]        the sign-in methods that are on (signed in already: 303 to return)
//	POST signin      email, password, return            "Sign in"
//	POST magic-link  email, return                      "Email me a sign-in link"
//	POST phone       phone, return                      "Text me a code"
//	POST phone-code  userId, secret, return             "Sign in" (after "Text me a code")
//	                 OAuth2: links "Continue with <Provider>" to /v1/account/sessions/oauth2/<provider>
//	GET  signup      POST signup: name, email, password, return   "Create account"
//	GET  forgot      POST forgot: email, return         "Send the link"
//	GET  reset?userId&secret   POST reset: userId, secret, password, passwordAgain   "Save the new password"
//	GET  verify?userId&secret  POST verify: userId, secret   "Verify my email address" (sent by script)
//	GET  magic-url?userId&secret&return  POST magic-url: userId, secret, return   "Sign in" (sent by script)
//	GET  mfa         the account's second factors (no session: 303 to signin)
//	POST mfa         factor=totp|recoverycode, otp, return   "Continue", "Continue with a recovery code"
//	POST mfa/send    factor=email|phone, return   "Email me a code", "Text me a code"; then
//	POST mfa         factor=email|phone, challengeId, otp, return   "Continue with the emailed code" / "… texted code"
//	GET  account     signed in; else 303 to signin (or mfa) and back
//	POST account/name          name                 "Save name"
//	POST account/password      oldPassword, password "Change password"
//	POST account/verification  (none)               "Send me a verification email"
//	POST account/session       sessionId            "Sign out" (per session)
//	POST account/sessions      (none)               "Sign out everywhere"
//	POST signout               (none)               "Sign out" (this session)
//	GET  style.css, pages.js, logo (when configured)
//
// Input ids are <form>-<field> (signin-email, signin-password,
// magic-email, phone-phone, code-secret, signup-name, signup-email,
// signup-password, forgot-email, reset-password, reset-again, totp-otp,
// email-otp, sms-otp, recovery-otp, name-name, password-old,
// password-new); an error of a
// field is the element <id>-error, named by the input's
// aria-describedby. Every visible string lives in the templates, which
// an operator may replace file by file.
//
// Every page is sent with a strict Content-Security-Policy (see CSP),
// Cache-Control: no-store, X-Content-Type-Options: nosniff and
// Referrer-Policy: same-origin (not no-referrer: Chromium then sends
// `Origin: null` on form posts).
package pages

// Package sms delivers the account text messages of Accountgate, such as
// phone verification and phone login codes.
//
// [Sender] is the seam the account package talks to. [Twilio] sends through
// Twilio's Programmable Messaging REST API; [Console] prints messages for
// development.
//
// Text messages carry secrets (login and verification codes). Errors
// returned by this package never contain the message body, and only
// [Console] ever prints one.
//
// The package imports neither the account package nor Caddy.
package sms

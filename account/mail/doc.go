// Package mail delivers the account e-mails of Accountgate: magic-URL login
// links, password recovery links and e-mail verification links.
//
// It has three parts:
//
//   - [Message] and the [Sender] interface, the seam the account package
//     talks to;
//   - two senders: [SMTP], which delivers through an SMTP server (STARTTLS,
//     implicit TLS or, on loopback only, plaintext), and [Console], which
//     prints messages for development;
//   - [Templates], which renders the subject, plain-text and HTML bodies of
//     each [Kind] from built-in templates that a directory may override.
//
// Account e-mails carry secrets (the links log a user in or reset their
// password). Errors returned by this package never contain a message body,
// and only [Console] ever prints one.
//
// The package imports neither the account package nor Caddy.
package mail

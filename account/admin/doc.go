// Package admin is the operators' user management behind the
// `caddy accountgate users` command: it parses an action (list, show,
// block, unblock, delete, sign-out, set-password), runs it through the
// project's account.Service, and prints the result as lines for people or
// as JSON for scripts.
//
// It goes through the Service's own operations, so a change takes the
// same locked path as the API's and its revocations reach every instance.
// It imports neither Caddy nor a store; the caddymodule package builds the
// Service from the configuration and hands it over.
package admin

// Package caddymodule is Accountgate's thin Caddy adapter: the
// `accountgate` app holding named projects, the `account_api` handler that
// serves /v1/account, and the `account_gate` handler that guards
// everything else. The account logic lives in package account.
package caddymodule

// Package accountgate exists so that `xcaddy build --with
// github.com/accountgate/accountgate` pulls in the Caddy modules.
package accountgate

import _ "github.com/accountgate/accountgate/caddymodule"

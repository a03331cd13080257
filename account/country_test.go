package account_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/accountgate/accountgate/account/core"
)

// countries maps fixed IPs, standing in for a GeoIP database.
type countries map[string]string

func (c countries) Country(ip string) string {
	if code, ok := c[ip]; ok {
		return code
	}
	return "--"
}

func TestCountryOfSessionsAndLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *core.Config) {
		c.Countries = countries{"192.0.2.1": "de"}
		c.ClientIP = func(*http.Request) string { return "192.0.2.1" }
	})
	e.signUp("geo@example.com", "password123")
	c, s := e.signIn("geo@example.com", "password123")
	if s["countryCode"] != "de" || s["countryName"] != "Germany" {
		t.Fatalf("session country: %v %v", s["countryCode"], s["countryName"])
	}
	var logs struct {
		Logs []map[string]any `json:"logs"`
	}
	json.Unmarshal([]byte(e.do("GET", "/v1/account/logs", "", cookieHeader(c)).body), &logs)
	if len(logs.Logs) == 0 || logs.Logs[0]["countryCode"] != "de" || logs.Logs[0]["countryName"] != "Germany" || logs.Logs[0]["ip"] != "192.0.2.1" {
		t.Fatalf("log country: %v", logs.Logs)
	}
}

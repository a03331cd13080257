package account_test

import (
	"strings"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// TestConfigValidate: Config.Validate reports every problem at once,
// naming the options as configuration files spell them, and needs no
// store (adapters call it before any store is open).
func TestConfigValidate(t *testing.T) {
	t.Parallel()
	ok := func() core.Config {
		return core.Config{ProjectID: "p", PublicURL: "https://app.example.com"}
	}
	valid := ok()
	if err := valid.Validate(); err != nil {
		t.Fatalf("valid config without a store: %v", err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(c *core.Config)
		wants []string
	}{
		{"project id", func(c *core.Config) { c.ProjectID = "no spaces" }, []string{`project id "no spaces"`}},
		{"no public URL", func(c *core.Config) { c.PublicURL = "" }, []string{"public_url is required"}},
		{"relative public URL", func(c *core.Config) { c.PublicURL = "app.example.com" }, []string{"must be an absolute http(s) URL"}},
		{"short secrets", func(c *core.Config) {
			c.Secret, c.PreviousSecrets = []byte("short"), [][]byte{[]byte("old")}
		}, []string{"secret must be at least 32 characters", "previous_secret must be at least 32 characters"}},
		{"platform", func(c *core.Config) { c.Platforms = []string{"localhost:3000"} }, []string{`platform "localhost:3000": hosts only`}},
		{"sign-in method", func(c *core.Config) { c.Disabled = map[core.AuthMethodName]bool{"carrier-pigeon": true} },
			[]string{`disable: unknown sign-in method "carrier-pigeon"`}},
		{"rate limits", func(c *core.Config) { c.RateLimits.Limits = map[string]int{"nope": 1, "jwt.create": -1} },
			[]string{`rate_limit: unknown limit "nope"`, `rate_limit: unknown limit "jwt.create" or negative value`}},
		{"numbers", func(c *core.Config) {
			c.SessionDuration, c.MaxSessions, c.PasswordHistory = -time.Second, 1001, 21
		}, []string{"session_duration must not be negative", "max_sessions must be between 1 and 1000", "password_history must be between 0 and 20"}},
		{"password memory", func(c *core.Config) { c.Password = core.PasswordConfig{Memory: 15, Threads: 2} },
			[]string{"password memory must be at least 8 KiB per thread"}},
		{"API key", func(c *core.Config) { c.APIKeys = []core.APIKey{{Name: "k", Secret: "short-key"}} }, []string{"at least 32"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok()
			tc.edit(&c)
			err := c.Validate()
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

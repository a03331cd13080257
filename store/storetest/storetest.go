package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// Opener returns a fresh, migrated, empty store for one test. The backend's
// test registers the cleanup (t.Cleanup) that closes and removes it.
type Opener func(t *testing.T) core.Store

// Run runs the whole conformance suite against the stores open returns.
func Run(t *testing.T, open Opener) {
	t.Run("Users", func(t *testing.T) { RunUsers(t, open) })
	t.Run("Sessions", func(t *testing.T) { RunSessions(t, open) })
	t.Run("Logs", func(t *testing.T) { RunLogs(t, open) })
	t.Run("Identities", func(t *testing.T) { RunIdentities(t, open) })
	t.Run("Access", func(t *testing.T) { RunAccess(t, open) })
	t.Run("Tokens", func(t *testing.T) { RunTokens(t, open) })
	t.Run("ConsumeAny", func(t *testing.T) { RunConsumeAny(t, open) })
	t.Run("Outbox", func(t *testing.T) { RunOutbox(t, open) })
	t.Run("Settings", func(t *testing.T) { RunSettings(t, open) })
	t.Run("Tx", func(t *testing.T) { RunTx(t, open) })
	t.Run("Locking", func(t *testing.T) { RunLocking(t, open) })
	t.Run("Status", func(t *testing.T) { RunStatus(t, open) })
	t.Run("Admin", func(t *testing.T) { RunAdmin(t, open) })
	t.Run("UserQueries", func(t *testing.T) { RunUserQueries(t, open) })
	t.Run("MFA", func(t *testing.T) { RunMFA(t, open) })
	t.Run("SessionFactors", func(t *testing.T) { RunSessionFactors(t, open) })
	t.Run("AssertionKeys", func(t *testing.T) { RunAssertionKeys(t, open) })
	t.Run("Import", func(t *testing.T) { RunImport(t, open) })
}

// base is the fixed time the suite builds on: fixed so failures reproduce,
// with milliseconds so that losing them is caught.
var base = time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)

// at returns base moved by d.
func at(d time.Duration) time.Time { return base.Add(d) }

// errOf fails the test unless errors.Is(err, want); want nil means success.
func errOf(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: unexpected error: %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s: error = %v, want %v", what, err, want)
	}
}

// mustCreateUser creates u or fails the test.
func mustCreateUser(t *testing.T, s core.Store, u *core.User) {
	t.Helper()
	errOf(t, "CreateUser "+u.ID, s.CreateUser(context.Background(), u), nil)
}

// mustCreateSession creates s or fails the test.
func mustCreateSession(t *testing.T, st core.Store, s *core.Session) {
	t.Helper()
	errOf(t, "CreateSession "+s.ID, st.CreateSession(context.Background(), s), nil)
}

// diff collects field mismatches so that one failure reports them all.
type diff []string

// time compares times with Equal: backends may return another location.
func (d *diff) time(field string, got, want time.Time) {
	if !got.Equal(want) {
		*d = append(*d, fmt.Sprintf("%s = %v, want %v", field, got, want))
	}
}

// eq compares comparable values.
func (d *diff) eq(field string, got, want any) {
	if got != want {
		*d = append(*d, fmt.Sprintf("%s = %#v, want %#v", field, got, want))
	}
}

// bytes compares byte slices, nil equal to empty.
func (d *diff) bytes(field string, got, want []byte) {
	if !bytes.Equal(got, want) {
		*d = append(*d, fmt.Sprintf("%s = %x, want %x", field, got, want))
	}
}

// strings compares string slices in order, nil equal to empty.
func (d *diff) strings(field string, got, want []string) {
	if !slices.Equal(got, want) {
		*d = append(*d, fmt.Sprintf("%s = %q, want %q", field, got, want))
	}
}

// json compares JSON documents by value, since a backend may reformat them;
// an empty want means {}.
func (d *diff) json(field string, got, want json.RawMessage) {
	if len(bytes.TrimSpace(want)) == 0 {
		want = json.RawMessage("{}")
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		*d = append(*d, fmt.Sprintf("%s = %q, not JSON: %v", field, got, err))
		return
	}
	if err := json.Unmarshal(want, &w); err != nil {
		panic(fmt.Sprintf("storetest: bad want JSON %q: %v", want, err))
	}
	if !reflect.DeepEqual(g, w) {
		*d = append(*d, fmt.Sprintf("%s = %s, want %s", field, got, want))
	}
}

// report fails the test if d holds mismatches.
func (d diff) report(t *testing.T, what string) {
	t.Helper()
	for _, m := range d {
		t.Errorf("%s: %s", what, m)
	}
}

// checkUser compares every field of got with want.
func checkUser(t *testing.T, what string, got, want *core.User) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: nil user", what)
	}
	var d diff
	d.eq("ID", got.ID, want.ID)
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.time("UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	d.eq("Name", got.Name, want.Name)
	d.eq("Email", got.Email, want.Email)
	d.eq("Phone", got.Phone, want.Phone)
	d.eq("PasswordHash", got.PasswordHash, want.PasswordHash)
	d.time("PasswordUpdate", got.PasswordUpdate, want.PasswordUpdate)
	d.time("Registration", got.Registration, want.Registration)
	d.eq("Status", got.Status, want.Status)
	d.eq("EmailVerification", got.EmailVerification, want.EmailVerification)
	d.eq("PhoneVerification", got.PhoneVerification, want.PhoneVerification)
	d.json("Prefs", got.Prefs, want.Prefs)
	d.strings("PasswordHistory", got.PasswordHistory, want.PasswordHistory)
	d.time("AccessedAt", got.AccessedAt, want.AccessedAt)
	d.strings("Labels", got.Labels, want.Labels)
	d.report(t, what)
}

// checkSession compares every field of got with want.
func checkSession(t *testing.T, what string, got, want *core.Session) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: nil session", what)
	}
	var d diff
	d.eq("ID", got.ID, want.ID)
	d.eq("UserID", got.UserID, want.UserID)
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.time("Expire", got.Expire, want.Expire)
	// A session never updated was last updated when it was created.
	wantUpdated := want.UpdatedAt
	if wantUpdated.IsZero() {
		wantUpdated = want.CreatedAt
	}
	d.time("UpdatedAt", got.UpdatedAt, wantUpdated)
	d.eq("Provider", got.Provider, want.Provider)
	d.eq("ProviderUID", got.ProviderUID, want.ProviderUID)
	d.eq("ProviderAccessToken", got.ProviderAccessToken, want.ProviderAccessToken)
	d.eq("ProviderRefreshToken", got.ProviderRefreshToken, want.ProviderRefreshToken)
	d.time("ProviderAccessTokenExpiry", got.ProviderAccessTokenExpiry, want.ProviderAccessTokenExpiry)
	d.bytes("SecretHash", got.SecretHash, want.SecretHash)
	d.eq("IP", got.IP, want.IP)
	d.eq("UserAgent", got.UserAgent, want.UserAgent)
	d.eq("CountryCode", got.CountryCode, want.CountryCode)
	// Device holds only strings, so == compares it whole.
	d.eq("Device", got.Device, want.Device)
	d.report(t, what)
}

// sessionIDs lists the ids of ss in order.
func sessionIDs(ss []*core.Session) []string {
	ids := make([]string, 0, len(ss))
	for _, s := range ss {
		ids = append(ids, s.ID)
	}
	return ids
}

// atOnce runs fn(0) to fn(n-1) in goroutines released together, so that
// they race, and waits for all of them.
func atOnce(n int, fn func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// fullLog returns an entry of userID at time tm with every field set.
func fullLog(id, userID string, tm time.Time) *core.LogEntry {
	return &core.LogEntry{
		ID:          id,
		UserID:      userID,
		Event:       "session.create",
		UserEmail:   "zoë@example.org",
		UserName:    "Zoë 山田 🙂",
		Mode:        "admin",
		IP:          "2001:db8::2",
		Time:        tm,
		UserAgent:   "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1",
		CountryCode: "jp",
		Device: core.Device{
			OSCode: "IOS", OSName: "iOS", OSVersion: "18.0",
			ClientType: "browser", ClientCode: "MF", ClientName: "Mobile Safari",
			ClientVersion: "18.0", ClientEngine: "WebKit", ClientEngineVersion: "605.1.15",
			DeviceName: "smartphone", DeviceBrand: "Apple", DeviceModel: "iPhone",
		},
	}
}

// mustCreateLog creates e or fails the test.
func mustCreateLog(t *testing.T, s core.Store, e *core.LogEntry) {
	t.Helper()
	errOf(t, "CreateLog "+e.ID, s.CreateLog(context.Background(), e), nil)
}

// checkLog compares every field of got with want.
func checkLog(t *testing.T, what string, got, want *core.LogEntry) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: nil log entry", what)
	}
	var d diff
	d.eq("ID", got.ID, want.ID)
	d.eq("UserID", got.UserID, want.UserID)
	d.eq("Event", got.Event, want.Event)
	d.eq("UserEmail", got.UserEmail, want.UserEmail)
	d.eq("UserName", got.UserName, want.UserName)
	d.eq("Mode", got.Mode, want.Mode)
	d.eq("IP", got.IP, want.IP)
	d.time("Time", got.Time, want.Time)
	d.eq("UserAgent", got.UserAgent, want.UserAgent)
	d.eq("CountryCode", got.CountryCode, want.CountryCode)
	d.eq("Device", got.Device, want.Device)
	d.report(t, what)
}

// logIDs lists the ids of es in order.
func logIDs(es []*core.LogEntry) []string {
	ids := make([]string, 0, len(es))
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	return ids
}

// userLogs calls UserLogs and checks the ids and the total it returns.
func userLogs(t *testing.T, s core.Store, userID string, limit, offset int, want []string, total int) []*core.LogEntry {
	t.Helper()
	what := fmt.Sprintf("UserLogs(%s, limit %d, offset %d)", userID, limit, offset)
	list, n, err := s.UserLogs(context.Background(), userID, limit, offset)
	errOf(t, what, err, nil)
	if got := logIDs(list); !slices.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
	if n != total {
		t.Errorf("%s: total = %d, want %d", what, n, total)
	}
	return list
}

// RunLogs checks core.Logs: round-trips, order, paging and purging.
func RunLogs(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("RoundTrip", func(t *testing.T) {
		// No users: the log does not depend on the users table.
		s := open(t)
		full := fullLog("l-full", "u1", at(time.Hour+7*time.Millisecond).In(time.FixedZone("UTC-3", -3*3600)))
		minimal := &core.LogEntry{ID: "l-min", UserID: "u2"}
		for _, want := range []*core.LogEntry{full, minimal} {
			mustCreateLog(t, s, want)
			list := userLogs(t, s, want.UserID, 10, 0, []string{want.ID}, 1)
			if len(list) == 1 {
				checkLog(t, "UserLogs "+want.ID, list[0], want)
			}
		}
		if list := userLogs(t, s, "u2", 10, 0, []string{"l-min"}, 1); len(list) == 1 && !list[0].Time.IsZero() {
			t.Errorf("zero Time came back as %v", list[0].Time)
		}
	})

	t.Run("SurvivesUserChanges", func(t *testing.T) {
		s := open(t)
		u := &core.User{ID: "u1", Email: "old@example.com", Name: "Old"}
		mustCreateUser(t, s, u)
		e := fullLog("l1", "u1", at(0))
		e.UserEmail, e.UserName = u.Email, u.Name
		mustCreateLog(t, s, e)
		u.Email, u.Name = "new@example.com", "New"
		errOf(t, "UpdateUser", s.UpdateUser(ctx, u), nil)
		// The entry keeps the email and name of its time.
		if list := userLogs(t, s, "u1", 10, 0, []string{"l1"}, 1); len(list) == 1 {
			checkLog(t, "after user update", list[0], e)
		}
	})

	t.Run("Order", func(t *testing.T) {
		s := open(t)
		// Ids sort against the expected order, and several entries share a
		// millisecond, so only time then insertion order gives the list.
		for _, e := range []struct {
			id, user string
			time     time.Time
		}{
			{"a", "u1", at(0)},
			{"b", "u1", at(time.Millisecond)},
			{"z1", "u2", at(time.Millisecond)},
			{"c", "u1", at(0)},
			{"d", "u1", at(-time.Hour)},
			{"e", "u1", at(time.Millisecond)},
			{"z2", "u2", at(0)},
			{"f", "u1", at(0)},
		} {
			mustCreateLog(t, s, &core.LogEntry{ID: e.id, UserID: e.user, Time: e.time})
		}
		userLogs(t, s, "u1", 100, 0, []string{"e", "b", "f", "c", "a", "d"}, 6)
		userLogs(t, s, "u2", 100, 0, []string{"z1", "z2"}, 2)
		// Pages cut through a run of equal times consistently.
		userLogs(t, s, "u1", 3, 0, []string{"e", "b", "f"}, 6)
		userLogs(t, s, "u1", 3, 3, []string{"c", "a", "d"}, 6)
	})

	t.Run("Paging", func(t *testing.T) {
		s := open(t)
		ids := []string{"l4", "l3", "l2", "l1", "l0"} // newest first
		for i := range 5 {
			mustCreateLog(t, s, fullLog(fmt.Sprint("l", i), "u1", at(time.Duration(i)*time.Minute)))
		}
		for i := range 3 {
			mustCreateLog(t, s, fullLog(fmt.Sprint("other", i), "u2", at(time.Duration(i)*time.Minute)))
		}
		for _, tc := range []struct {
			limit, offset int
			want          []string
		}{
			{10, 0, ids},
			{5, 0, ids},
			{2, 0, ids[:2]},
			{2, 2, ids[2:4]},
			{2, 4, ids[4:]},
			{1, 3, ids[3:4]},
			{0, 0, nil},
			{0, 2, nil},
			{2, 5, nil},
			{2, 100, nil},
		} {
			userLogs(t, s, "u1", tc.limit, tc.offset, tc.want, 5)
		}
		userLogs(t, s, "u2", 10, 0, []string{"other2", "other1", "other0"}, 3)
		userLogs(t, s, "nobody", 10, 0, nil, 0)
		userLogs(t, s, "nobody", 0, 0, nil, 0)
	})

	t.Run("DeleteBefore", func(t *testing.T) {
		s := open(t)
		now := at(0)
		for _, e := range []*core.LogEntry{
			{ID: "long-ago", UserID: "u1", Time: now.Add(-90 * 24 * time.Hour)},
			{ID: "just-before", UserID: "u2", Time: now.Add(-time.Millisecond)},
			{ID: "at-now", UserID: "u1", Time: now},
			{ID: "just-after", UserID: "u1", Time: now.Add(time.Millisecond)},
			{ID: "later", UserID: "u2", Time: now.Add(24 * time.Hour)},
		} {
			mustCreateLog(t, s, e)
		}
		n, err := s.DeleteLogsBefore(ctx, now)
		errOf(t, "DeleteLogsBefore", err, nil)
		if n != 2 {
			t.Errorf("DeleteLogsBefore = %d, want 2", n)
		}
		userLogs(t, s, "u1", 10, 0, []string{"just-after", "at-now"}, 2)
		userLogs(t, s, "u2", 10, 0, []string{"later"}, 1)
		n, err = s.DeleteLogsBefore(ctx, now)
		errOf(t, "DeleteLogsBefore again", err, nil)
		if n != 0 {
			t.Errorf("second DeleteLogsBefore = %d, want 0", n)
		}
		n, err = s.DeleteLogsBefore(ctx, now.Add(48*time.Hour))
		errOf(t, "DeleteLogsBefore later", err, nil)
		if n != 3 {
			t.Errorf("DeleteLogsBefore two days on = %d, want 3", n)
		}
		userLogs(t, s, "u1", 10, 0, nil, 0)
		// The store takes new entries after a purge.
		mustCreateLog(t, s, &core.LogEntry{ID: "new", UserID: "u1", Time: now})
		userLogs(t, s, "u1", 10, 0, []string{"new"}, 1)
	})
}

package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/accountgate/accountgate/account/core"
)

// RunUserQueries checks QueryUsers and CountUsers against a reference
// model: every filter, alone and combined, in both orders, from several
// cursors both ways, with offsets and limits; a cursor that does not
// match the filter still places the page; labels changed by
// SetUserLabels, UpdateUser and a deletion are followed.
func RunUserQueries(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	// Creation order is not id order, and labels repeat across users.
	seed := []struct {
		id, email, phone, name string
		blocked                bool
		labels                 []string
	}{
		{"k9", "ann@example.com", "+15550000001", "Ann Smith", false, []string{"vip", "beta"}},
		{"a1", "bob@example.org", "", "Bob", true, []string{"beta"}},
		{"z3", "", "+15550000003", "Carla SMITH", false, nil},
		{"m4", "dan@example.com", "", "Dan", false, []string{"vip"}},
		{"b5", "eve@example.net", "+15550000005", "Eve Smithers", true, []string{"Vip"}},
		{"q6", "fay@example.com", "", "", false, []string{"staff", "vip"}},
		{"c7", "", "", "Gus", false, []string{"staff"}},
	}
	var users []*core.User
	for _, u := range seed {
		nu := &core.User{ID: u.id, Email: u.email, Phone: u.phone, Name: u.name, Status: !u.blocked, Labels: u.labels}
		mustCreateUser(t, s, nu)
		users = append(users, nu)
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	filters := map[string]core.UserFilter{
		"none":           {},
		"emails":         {Emails: []string{"dan@example.com", "ann@example.com", "nobody@example.com"}},
		"phones":         {Phones: []string{"+15550000003"}},
		"active":         {Status: []bool{true}},
		"both statuses":  {Status: []bool{false, true}},
		"label vip":      {Labels: []string{"vip"}},
		"labels":         {Labels: []string{"staff", "beta"}},
		"vip and active": {Status: []bool{true}, Labels: []string{"vip"}, Search: []string{"example"}},
		"search":         {Search: []string{"smith"}},
		"search words":   {Search: []string{"smith", "example.com"}},
		"search id":      {Search: []string{"z3"}},
		"combined":       {Status: []bool{true}, Labels: []string{"vip", "staff"}, Search: []string{"example"}},
		"nothing":        {Labels: []string{"absent"}},
	}
	check := func(t *testing.T, name string, f core.UserFilter) {
		t.Helper()
		match := refFilter(users, f)
		n, err := s.CountUsers(ctx, f, 100)
		errOf(t, "CountUsers", err, nil)
		if n != len(match) {
			t.Fatalf("%s: CountUsers = %d, want %d", name, n, len(match))
		}
		if len(match) > 1 {
			n, err := s.CountUsers(ctx, f, 1)
			errOf(t, "CountUsers capped", err, nil)
			if n != 1 {
				t.Fatalf("%s: CountUsers(max 1) = %d", name, n)
			}
		}
		for _, desc := range []bool{false, true} {
			for _, cursor := range []string{"", "k9", "z3", "b5", "c7"} {
				for _, before := range []bool{false, true} {
					if cursor == "" && before {
						continue
					}
					for offset := range 3 {
						for _, limit := range []int{0, 1, 2, 10} {
							q := core.UserQuery{Filter: f, Cursor: cursor, Before: before, Desc: desc, Offset: offset, Limit: limit}
							got, err := s.QueryUsers(ctx, q)
							errOf(t, "QueryUsers", err, nil)
							if want := refPage(ids, match, q); !slices.Equal(userIDs(got), want) {
								t.Fatalf("%s: %+v: got %v, want %v", name, q, userIDs(got), want)
							}
						}
					}
				}
			}
		}
	}
	for name, f := range filters {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) { check(t, name, f) })
	}

	t.Run("RowsComplete", func(t *testing.T) {
		got, err := s.QueryUsers(ctx, core.UserQuery{Filter: core.UserFilter{Labels: []string{"vip"}}, Limit: 1})
		errOf(t, "QueryUsers", err, nil)
		if len(got) != 1 {
			t.Fatalf("got %d users", len(got))
		}
		checkUser(t, "QueryUsers row", got[0], users[0])
	})

	t.Run("UnknownCursor", func(t *testing.T) {
		_, err := s.QueryUsers(ctx, core.UserQuery{Cursor: "nobody", Limit: 5})
		errOf(t, "QueryUsers from an unknown cursor", err, core.ErrNotFound)
	})

	t.Run("LabelChanges", func(t *testing.T) {
		// m4 loses vip, c7 gains it; q6 goes; labels follow every write.
		errOf(t, "SetUserLabels", s.SetUserLabels(ctx, "m4", []string{"beta"}), nil)
		users[3].Labels = []string{"beta"}
		users[6].Labels = []string{"vip", "staff"}
		errOf(t, "UpdateUser", s.UpdateUser(ctx, users[6]), nil)
		errOf(t, "DeleteUser", s.DeleteUser(ctx, "q6"), nil)
		users = slices.Delete(users, 5, 6)
		ids = slices.Delete(ids, 5, 6)
		// A refused insert counts nobody.
		errOf(t, "CreateUser of a taken id", s.CreateUser(ctx, &core.User{ID: "k9"}), core.ErrConflict)
		for _, name := range []string{"none", "label vip", "labels", "combined"} {
			check(t, name, filters[name])
		}
		// A user who gets a label back after losing it is listed once.
		errOf(t, "SetUserLabels", s.SetUserLabels(ctx, "m4", []string{"vip", "beta"}), nil)
		errOf(t, "SetUserLabels", s.SetUserLabels(ctx, "m4", []string{"beta", "vip"}), nil)
		users[3].Labels = []string{"beta", "vip"}
		check(t, "labels again", core.UserFilter{Labels: []string{"vip", "beta"}})

		// Imported users are counted and labelled like created ones; a
		// skipped one is not counted.
		im, ok := s.(core.UserImporter)
		if !ok {
			return
		}
		imported := &core.User{ID: "imp1", Status: true, Labels: []string{"vip"}}
		res, err := im.ImportUsers(ctx, []*core.User{imported, {ID: "k9"}})
		errOf(t, "ImportUsers", err, nil)
		if !slices.Equal(res, []core.ImportResult{core.ImportCreated, core.ImportExists}) {
			t.Fatalf("ImportUsers = %v", res)
		}
		users, ids = append(users, imported), append(ids, "imp1")
		for _, name := range []string{"none", "label vip", "active"} {
			check(t, name+" after import", filters[name])
		}
	})
}

// refFilter is the model of UserFilter: the users of all (in creation
// order) that match f.
func refFilter(all []*core.User, f core.UserFilter) []string {
	var out []string
	for _, u := range all {
		ok := (f.Emails == nil || slices.Contains(f.Emails, u.Email)) &&
			(f.Phones == nil || slices.Contains(f.Phones, u.Phone)) &&
			(f.Status == nil || slices.Contains(f.Status, u.Status)) &&
			(f.Labels == nil || slices.ContainsFunc(u.Labels, func(l string) bool { return slices.Contains(f.Labels, l) }))
		hay := strings.ToLower(fmt.Sprintf("%s %s %s %s", u.ID, u.Email, u.Phone, u.Name))
		for _, w := range f.Search {
			ok = ok && strings.Contains(hay, w)
		}
		if ok {
			out = append(out, u.ID)
		}
	}
	return out
}

// refPage is the model of QueryUsers: ids is every user in creation
// order, match those matching the filter.
func refPage(ids, match []string, q core.UserQuery) []string {
	view := slices.Clone(ids)
	if q.Desc {
		slices.Reverse(view)
	}
	if q.Cursor != "" {
		i := slices.Index(view, q.Cursor)
		if q.Before {
			view = slices.Clone(view[:i])
			slices.Reverse(view)
		} else {
			view = view[i+1:]
		}
	}
	var page []string
	for _, id := range view {
		if slices.Contains(match, id) {
			page = append(page, id)
		}
	}
	page = page[min(q.Offset, len(page)):]
	page = page[:min(q.Limit, len(page))]
	if q.Before {
		slices.Reverse(page)
	}
	return page
}

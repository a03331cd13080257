package httpapi

import (
	"net/http"
	"slices"
	"testing"
)

func TestOverlaps(t *testing.T) {
	h := func(http.ResponseWriter, *Request) error { return nil }
	a := &API{}
	a.Handle(
		NewRoute("GET", "sessions/{sessionId}", ScopeAccount, h),
		NewRoute("GET", "sessions/current", ScopeAccount, h),    // overlaps the first
		NewRoute("DELETE", "sessions/current", ScopeAccount, h), // another method
		NewRoute("GET", "sessions/{sessionId}/x", ScopeAccount, h),
		UsersRoute("GET", "sessions/current", "users.read", h), // another API
	)
	want := []string{"GET /v1/account/sessions/{sessionId} ~ GET /v1/account/sessions/current"}
	if got := a.Overlaps(); !slices.Equal(got, want) {
		t.Fatalf("Overlaps() = %q, want %q", got, want)
	}
}

package account

import (
	"context"
	"testing"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/sqlite"
)

// TestRoutesDoNotOverlap: the API packages each add their routes, so no
// two routes may match the same request, or which one serves it would
// depend on the order New adds them in.
func TestRoutesDoNotOverlap(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/test.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := New(context.Background(), core.Config{ProjectID: "test", Store: st, PublicURL: "http://localhost"})
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range s.api.Overlaps() {
		t.Errorf("routes overlap: %s", pair)
	}
}

package httpapi

import (
	"fmt"
	"testing"
)

// FuzzResponseFormat: any header value reads as 1.3 (zero) or as a
// version whose three parts are each at most 999.
func FuzzResponseFormat(f *testing.F) {
	for _, v := range []string{"", "1.0.0", "1.4.0", "1.5", "2.3.0-rc.1", "1.4.1000", "x", "1..2", "+1.4.0"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got := ParseFormat(v)
		if got > 999_999_999 {
			t.Fatalf("%q gave %d", v, got)
		}
		if got != 0 && ParseFormat(fmt.Sprintf("%d.%d.%d", got/1_000_000, got/1000%1000, got%1000)) != got {
			t.Fatalf("%q gave %d, which does not read back", v, got)
		}
	})
}

package storetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// RunSettings checks core.Settings: the first stored value wins, also
// when several goroutines race to store theirs.
func RunSettings(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("FirstValueWins", func(t *testing.T) {
		s := open(t)
		// Binary, with zero bytes: settings hold generated secrets.
		first := []byte{0, 1, 2, 0xfe, 0xff, 0}
		for i, v := range [][]byte{first, []byte("second"), nil} {
			got, err := s.SettingOrInit(ctx, "secret", v)
			errOf(t, fmt.Sprintf("SettingOrInit #%d", i), err, nil)
			if !bytes.Equal(got, first) {
				t.Errorf("SettingOrInit #%d = %x, want %x", i, got, first)
			}
		}
		got, err := s.SettingOrInit(ctx, "other", []byte("other value"))
		errOf(t, "SettingOrInit other key", err, nil)
		if string(got) != "other value" {
			t.Errorf("other key = %q, want %q", got, "other value")
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		s := open(t)
		const n = 16
		results := make([][]byte, n)
		errs := make([]error, n)
		atOnce(n, func(i int) {
			results[i], errs[i] = s.SettingOrInit(ctx, "key", fmt.Appendf(nil, "value-%d", i))
		})
		for i := range n {
			errOf(t, fmt.Sprintf("goroutine %d", i), errs[i], nil)
		}
		winner, err := s.SettingOrInit(ctx, "key", []byte("late"))
		errOf(t, "SettingOrInit after the race", err, nil)
		if !bytes.HasPrefix(winner, []byte("value-")) {
			t.Fatalf("stored value %q is none of the racers'", winner)
		}
		for i, got := range results {
			if !bytes.Equal(got, winner) {
				t.Errorf("goroutine %d got %q, stored value is %q", i, got, winner)
			}
		}
	})
}

package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"sync"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// RunMFA checks core.MFA.
func RunMFA(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("SaveAndRead", func(t *testing.T) {
		s := withUsers(t, open)
		_, err := s.MFAOf(ctx, "u1")
		errOf(t, "MFAOf none", err, core.ErrNotFound)
		want := &core.MFAState{UserID: "u1", Enabled: true, TOTPSecret: []byte{1, 2, 0, 3}, UpdatedAt: at(time.Second)}
		errOf(t, "SaveMFA", s.SaveMFA(ctx, want), nil)
		got, err := s.MFAOf(ctx, "u1")
		errOf(t, "MFAOf", err, nil)
		if got.UserID != "u1" || !got.Enabled || got.TOTPVerified || !bytes.Equal(got.TOTPSecret, want.TOTPSecret) ||
			!got.UpdatedAt.Equal(want.UpdatedAt) {
			t.Errorf("state = %+v, want %+v", got, want)
		}
		// Overwrite: the authenticator removed, MFA off.
		errOf(t, "SaveMFA again", s.SaveMFA(ctx, &core.MFAState{UserID: "u1", UpdatedAt: at(time.Minute)}), nil)
		got, _ = s.MFAOf(ctx, "u1")
		if got.Enabled || got.TOTPSecret != nil || got.TOTPVerified || !got.UpdatedAt.Equal(at(time.Minute)) {
			t.Errorf("overwritten state = %+v", got)
		}
		if _, err := s.MFAOf(ctx, "u2"); err == nil {
			t.Error("u2 got u1's state")
		}
		if err := s.SaveMFA(ctx, &core.MFAState{UserID: "nobody", UpdatedAt: at(0)}); err == nil {
			t.Error("SaveMFA for a missing user succeeded")
		}
	})

	t.Run("TOTPStepOnce", func(t *testing.T) {
		s := withUsers(t, open)
		errOf(t, "UseTOTPStep no state", s.UseTOTPStep(ctx, "u1", 10), core.ErrNotFound)
		errOf(t, "SaveMFA", s.SaveMFA(ctx, &core.MFAState{UserID: "u1", TOTPVerified: true, UpdatedAt: at(0)}), nil)
		errOf(t, "UseTOTPStep", s.UseTOTPStep(ctx, "u1", 10), nil)
		errOf(t, "UseTOTPStep replay", s.UseTOTPStep(ctx, "u1", 10), core.ErrNotFound)
		errOf(t, "UseTOTPStep older", s.UseTOTPStep(ctx, "u1", 9), core.ErrNotFound)
		// Saving the state again keeps the step: no replay after a save.
		errOf(t, "SaveMFA again", s.SaveMFA(ctx, &core.MFAState{UserID: "u1", Enabled: true, UpdatedAt: at(0)}), nil)
		errOf(t, "UseTOTPStep after save", s.UseTOTPStep(ctx, "u1", 10), core.ErrNotFound)
		errOf(t, "UseTOTPStep next", s.UseTOTPStep(ctx, "u1", 11), nil)

		// Of many concurrent spenders of one step, exactly one wins.
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if s.UseTOTPStep(ctx, "u1", 12) == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("step 12 accepted %d times", wins)
		}
	})

	t.Run("RecoveryCodes", func(t *testing.T) {
		s := withUsers(t, open)
		h := func(code string) []byte { sum := sha256.Sum256([]byte(code)); return sum[:] }
		count := func(user string, want int) {
			t.Helper()
			n, err := s.RecoveryCodeCount(ctx, user)
			errOf(t, "RecoveryCodeCount", err, nil)
			if n != want {
				t.Errorf("%s has %d codes, want %d", user, n, want)
			}
		}
		count("u1", 0)
		errOf(t, "Replace", s.ReplaceRecoveryCodes(ctx, "u1", [][]byte{h("a"), h("b")}), nil)
		errOf(t, "Replace u2", s.ReplaceRecoveryCodes(ctx, "u2", [][]byte{h("c")}), nil)
		count("u1", 2)
		errOf(t, "Use other user's", s.UseRecoveryCode(ctx, "u1", h("c")), core.ErrNotFound)
		errOf(t, "Use", s.UseRecoveryCode(ctx, "u1", h("a")), nil)
		errOf(t, "Use again", s.UseRecoveryCode(ctx, "u1", h("a")), core.ErrNotFound)
		count("u1", 1)
		errOf(t, "Replace new", s.ReplaceRecoveryCodes(ctx, "u1", [][]byte{h("x")}), nil)
		errOf(t, "Use replaced", s.UseRecoveryCode(ctx, "u1", h("b")), core.ErrNotFound)
		count("u1", 1)
		count("u2", 1)
		// Deleting the user takes state and codes along.
		errOf(t, "SaveMFA", s.SaveMFA(ctx, &core.MFAState{UserID: "u1", Enabled: true, UpdatedAt: at(0)}), nil)
		errOf(t, "DeleteUser", s.DeleteUser(ctx, "u1"), nil)
		count("u1", 0)
		_, err := s.MFAOf(ctx, "u1")
		errOf(t, "MFAOf deleted", err, core.ErrNotFound)
	})
}

// RunSessionFactors checks AddSessionFactor and SessionFactors.
func RunSessionFactors(t *testing.T, open Opener) {
	ctx := context.Background()
	s := withUsers(t, open)
	for _, id := range []string{"s1", "s2"} {
		errOf(t, "CreateSession", s.CreateSession(ctx, &core.Session{ID: id, UserID: "u1", SecretHash: []byte(id),
			CreatedAt: at(0), Expire: at(time.Hour)}), nil)
	}
	f, last, err := s.SessionFactors(ctx, "s1")
	errOf(t, "SessionFactors none", err, nil)
	if len(f) != 0 || !last.IsZero() {
		t.Fatalf("new session factors %v %v", f, last)
	}
	errOf(t, "Add totp", s.AddSessionFactor(ctx, "s1", "totp", at(time.Second)), nil)
	errOf(t, "Add email", s.AddSessionFactor(ctx, "s1", "email", at(2*time.Second)), nil)
	errOf(t, "Add totp again", s.AddSessionFactor(ctx, "s1", "totp", at(3*time.Second)), nil)
	f, last, err = s.SessionFactors(ctx, "s1")
	errOf(t, "SessionFactors", err, nil)
	if len(f) != 2 || f[0] != "email" || f[1] != "totp" || !last.Equal(at(3*time.Second)) {
		t.Fatalf("factors %v %v", f, last)
	}
	if f, _, _ := s.SessionFactors(ctx, "s2"); len(f) != 0 {
		t.Fatalf("s2 got s1's factors: %v", f)
	}
	if err := s.AddSessionFactor(ctx, "nosuch", "totp", at(0)); err == nil {
		t.Error("factor of a missing session stored")
	}
	// Deleting the session takes its factors along.
	errOf(t, "DeleteSession", s.DeleteSession(ctx, "s1"), nil)
	if f, _, _ := s.SessionFactors(ctx, "s1"); len(f) != 0 {
		t.Fatalf("deleted session keeps factors %v", f)
	}
}

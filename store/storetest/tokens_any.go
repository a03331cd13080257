package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account"
)

// kindOf is the (type, target) kind that matches tk.
func kindOf(tk *account.Token) account.TokenKind {
	return account.TokenKind{Type: tk.Type, Target: tk.Target}
}

// consumeAny calls ConsumeAnyToken with tk's user and hash over kinds at
// now, checks the error against want and, on success, every field.
func consumeAny(t *testing.T, s account.Store, what string, tk *account.Token, kinds []account.TokenKind, now time.Time, want error) {
	t.Helper()
	got, err := s.ConsumeAnyToken(context.Background(), tk.UserID, kinds, tk.SecretHash, now)
	errOf(t, what, err, want)
	if want == nil {
		checkToken(t, what, got, tk)
	}
}

// RunConsumeAny checks account.Tokens.ConsumeAnyToken: a token is spent
// through any kind list that names its type with its target, never
// through one that does not, and exactly once however many consumers of
// whichever kinds race for it.
func RunConsumeAny(t *testing.T, open Opener) {
	ctx := context.Background()
	now := at(0)
	// Other kinds in every list, so the matching alternative is not the
	// only one.
	decoys := []account.TokenKind{
		{Type: account.TokenRecovery, Target: hash("elsewhere")},
		{Type: account.TokenVerification, Target: hash("elsewhere")},
	}
	with := func(ks ...account.TokenKind) []account.TokenKind {
		return append(append([]account.TokenKind{}, decoys...), ks...)
	}

	t.Run("MatchesOneOfKinds", func(t *testing.T) {
		s := withUsers(t, open)
		magic := fullToken("magic", "u1", account.TokenMagicURL)
		phone := fullToken("phone", "u1", account.TokenPhoneSession)
		for _, tk := range []*account.Token{magic, phone} {
			mustCreateToken(t, s, tk)
		}
		all := with(kindOf(magic), kindOf(phone))
		consumeAny(t, s, "ConsumeAnyToken phone", phone, all, now, nil)
		consumeAny(t, s, "ConsumeAnyToken phone again", phone, all, now, account.ErrNotFound)
		consume(t, s, "ConsumeToken of the spent phone token", phone, now, account.ErrNotFound)
		consumeAny(t, s, "ConsumeAnyToken magic", magic, all, now, nil)
		consume(t, s, "ConsumeToken of the spent magic token", magic, now, account.ErrNotFound)
	})

	t.Run("MissesDeleteNothing", func(t *testing.T) {
		s := withUsers(t, open)
		tk := fullToken("t1", "u1", account.TokenMagicURL)
		mustCreateToken(t, s, tk)
		other := *tk
		other.UserID = "u2"
		wrongHash := *tk
		wrongHash.SecretHash = hash("guess")
		cases := []struct {
			name  string
			tk    *account.Token
			kinds []account.TokenKind
			now   time.Time
		}{
			{"no kinds", tk, nil, now},
			{"type not listed", tk, with(account.TokenKind{Type: account.TokenPhoneSession, Target: tk.Target}), now},
			{"listed type, other target", tk, with(account.TokenKind{Type: tk.Type, Target: hash("other")}), now},
			{"type and target in different kinds", tk, with(
				account.TokenKind{Type: tk.Type, Target: hash("other")},
				account.TokenKind{Type: account.TokenPhoneSession, Target: tk.Target}), now},
			{"empty target", tk, with(account.TokenKind{Type: tk.Type}), now},
			{"other user", &other, with(kindOf(tk)), now},
			{"wrong secret", &wrongHash, with(kindOf(tk)), now},
			{"expired", tk, with(kindOf(tk)), tk.Expire},
		}
		for _, tc := range cases {
			_, err := s.ConsumeAnyToken(ctx, tc.tk.UserID, tc.kinds, tc.tk.SecretHash, tc.now)
			errOf(t, "ConsumeAnyToken "+tc.name, err, account.ErrNotFound)
		}
		consumeAny(t, s, "ConsumeAnyToken after the misses", tk, with(kindOf(tk)), tk.Expire.Add(-time.Millisecond), nil)
	})

	t.Run("ConcurrentAcrossKinds", func(t *testing.T) {
		s := withUsers(t, open)
		tk := fullToken("t1", "u1", account.TokenPhoneSession)
		mustCreateToken(t, s, tk)
		// Half race through the multi-kind consume (with differing
		// lists), half through the single-kind one.
		lists := [][]account.TokenKind{
			with(kindOf(tk)),
			{kindOf(tk), {Type: account.TokenMagicURL, Target: hash("target-t1")}},
		}
		const n = 20
		got := make([]*account.Token, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				if i%3 == 0 {
					got[i], errs[i] = s.ConsumeToken(ctx, tk.UserID, tk.Type, tk.SecretHash, tk.Target, now)
					return
				}
				got[i], errs[i] = s.ConsumeAnyToken(ctx, tk.UserID, lists[i%2], tk.SecretHash, now)
			})
		}
		close(start)
		wg.Wait()
		wins := 0
		for i := range n {
			if errs[i] == nil {
				wins++
				checkToken(t, fmt.Sprintf("goroutine %d", i), got[i], tk)
				continue
			}
			errOf(t, fmt.Sprintf("goroutine %d", i), errs[i], account.ErrNotFound)
		}
		if wins != 1 {
			t.Errorf("%d of %d concurrent consumers got the token, want 1", wins, n)
		}
	})

	t.Run("InTx", func(t *testing.T) {
		s := withUsers(t, open)
		tk := fullToken("t1", "u1", account.TokenMagicURL)
		mustCreateToken(t, s, tk)
		err := s.WithTx(ctx, func(tx account.Store) error {
			consumeAny(t, tx, "ConsumeAnyToken in tx", tk, with(kindOf(tk)), now, nil)
			return errAbort
		})
		errOf(t, "WithTx", err, errAbort)
		consumeAny(t, s, "ConsumeAnyToken after the rollback", tk, with(kindOf(tk)), now, nil)
	})
}

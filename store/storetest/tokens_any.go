package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// kindOf is the (type, target, hash) kind that matches tk.
func kindOf(tk *core.Token) core.TokenKind {
	return core.TokenKind{Type: tk.Type, Target: tk.Target, Hash: tk.SecretHash}
}

// consumeAny calls ConsumeAnyToken with tk's user over kinds at now,
// checks the error against want and, on success, every field.
func consumeAny(t *testing.T, s core.Store, what string, tk *core.Token, kinds []core.TokenKind, now time.Time, want error) {
	t.Helper()
	got, err := s.ConsumeAnyToken(context.Background(), tk.UserID, kinds, now)
	errOf(t, what, err, want)
	if want == nil {
		checkToken(t, what, got, tk)
	}
}

// RunConsumeAny checks core.Tokens.ConsumeAnyToken: a token is spent
// through any kind list that names its type with its target, never
// through one that does not, and exactly once however many consumers of
// whichever kinds race for it.
func RunConsumeAny(t *testing.T, open Opener) {
	ctx := context.Background()
	now := at(0)
	// Other kinds in every list, so the matching alternative is not the
	// only one.
	decoys := []core.TokenKind{
		{Type: core.TokenRecovery, Target: hash("elsewhere"), Hash: hash("guess")},
		{Type: core.TokenVerification, Target: hash("elsewhere"), Hash: hash("guess")},
	}
	with := func(ks ...core.TokenKind) []core.TokenKind {
		return append(append([]core.TokenKind{}, decoys...), ks...)
	}

	t.Run("MatchesOneOfKinds", func(t *testing.T) {
		s := withUsers(t, open)
		magic := fullToken("magic", "u1", core.TokenMagicURL)
		phone := fullToken("phone", "u1", core.TokenPhoneSession)
		for _, tk := range []*core.Token{magic, phone} {
			mustCreateToken(t, s, tk)
		}
		// What a request with one secret sends: every kind, each with
		// its own target and the secret's hash.
		secretOf := func(tk *core.Token) []core.TokenKind {
			return with(
				core.TokenKind{Type: magic.Type, Target: magic.Target, Hash: tk.SecretHash},
				core.TokenKind{Type: phone.Type, Target: phone.Target, Hash: tk.SecretHash})
		}
		consumeAny(t, s, "ConsumeAnyToken phone", phone, secretOf(phone), now, nil)
		consumeAny(t, s, "ConsumeAnyToken phone again", phone, secretOf(phone), now, core.ErrNotFound)
		consume(t, s, "ConsumeToken of the spent phone token", phone, now, core.ErrNotFound)
		consumeAny(t, s, "ConsumeAnyToken magic", magic, secretOf(magic), now, nil)
		consume(t, s, "ConsumeToken of the spent magic token", magic, now, core.ErrNotFound)
	})

	t.Run("TwoMatchesSpendOne", func(t *testing.T) {
		// Kinds that match two tokens (one secret, as two kinds store
		// it) spend one per call, the older first.
		s := withUsers(t, open)
		older := fullToken("older", "u1", core.TokenEmailCode)
		newer := fullToken("newer", "u1", core.TokenPhoneSession)
		for _, tk := range []*core.Token{older, newer} {
			mustCreateToken(t, s, tk)
		}
		both := with(kindOf(newer), kindOf(older))
		consumeAny(t, s, "ConsumeAnyToken first", older, both, now, nil)
		consumeAny(t, s, "ConsumeAnyToken second", newer, both, now, nil)
		consumeAny(t, s, "ConsumeAnyToken third", newer, both, now, core.ErrNotFound)
	})

	t.Run("MissesDeleteNothing", func(t *testing.T) {
		s, tk := withToken(t, open, core.TokenMagicURL)
		k := kindOf(tk)
		with1 := func(edit func(*core.TokenKind)) []core.TokenKind {
			c := k
			edit(&c)
			return with(c)
		}
		cases := []struct {
			name   string
			userID string
			kinds  []core.TokenKind
			now    time.Time
		}{
			{"no kinds", "u1", nil, now},
			{"type not listed", "u1", with1(func(c *core.TokenKind) { c.Type = core.TokenPhoneSession }), now},
			{"listed type, other target", "u1", with1(func(c *core.TokenKind) { c.Target = hash("other") }), now},
			{"listed type, other secret", "u1", with1(func(c *core.TokenKind) { c.Hash = hash("guess") }), now},
			{"type, target and secret in different kinds", "u1", with(
				core.TokenKind{Type: tk.Type, Target: hash("other"), Hash: tk.SecretHash},
				core.TokenKind{Type: core.TokenPhoneSession, Target: tk.Target, Hash: tk.SecretHash},
				core.TokenKind{Type: tk.Type, Target: tk.Target, Hash: hash("guess")}), now},
			{"empty target", "u1", with1(func(c *core.TokenKind) { c.Target = nil }), now},
			{"other user", "u2", with(k), now},
			{"expired", "u1", with(k), tk.Expire},
		}
		for _, tc := range cases {
			_, err := s.ConsumeAnyToken(ctx, tc.userID, tc.kinds, tc.now)
			errOf(t, "ConsumeAnyToken "+tc.name, err, core.ErrNotFound)
		}
		consumeAny(t, s, "ConsumeAnyToken after the misses", tk, with(kindOf(tk)), tk.Expire.Add(-time.Millisecond), nil)
	})

	t.Run("ConcurrentAcrossKinds", func(t *testing.T) {
		s, tk := withToken(t, open, core.TokenPhoneSession)
		// Half race through the multi-kind consume (with differing
		// lists), half through the single-kind one.
		lists := [][]core.TokenKind{
			with(kindOf(tk)),
			{kindOf(tk), {Type: core.TokenMagicURL, Target: hash("target-t1"), Hash: tk.SecretHash}},
		}
		raceConsume(t, tk, func(i int) (*core.Token, error) {
			if i%3 == 0 {
				return s.ConsumeToken(ctx, tk.UserID, tk.Type, tk.SecretHash, tk.Target, now)
			}
			return s.ConsumeAnyToken(ctx, tk.UserID, lists[i%2], now)
		})
	})

	t.Run("InTx", func(t *testing.T) {
		s, tk := withToken(t, open, core.TokenMagicURL)
		err := s.WithTx(ctx, func(tx core.Store) error {
			consumeAny(t, tx, "ConsumeAnyToken in tx", tk, with(kindOf(tk)), now, nil)
			return errAbort
		})
		errOf(t, "WithTx", err, errAbort)
		consumeAny(t, s, "ConsumeAnyToken after the rollback", tk, with(kindOf(tk)), now, nil)
	})
}

package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// fullToken returns a token of userID with every field set, expiring an
// hour after base.
func fullToken(id, userID string, typ core.TokenType) *core.Token {
	return &core.Token{
		ID:         id,
		UserID:     userID,
		Type:       typ,
		SecretHash: hash("token-" + id),
		Target:     hash("target-" + id),
		CreatedAt:  at(-time.Minute + 3*time.Millisecond),
		Expire:     at(time.Hour + 9*time.Millisecond),
		IP:         "203.0.113.7",
		UserAgent:  "Mozilla/5.0 (Android 15; Mobile) Firefox/140.0",
	}
}

// withToken is a store with the users of withUsers and the token t1 of
// u1, of type typ.
func withToken(t *testing.T, open Opener, typ core.TokenType) (core.Store, *core.Token) {
	t.Helper()
	s := withUsers(t, open)
	tk := fullToken("t1", "u1", typ)
	mustCreateToken(t, s, tk)
	return s, tk
}

// mustCreateToken creates tk or fails the test.
func mustCreateToken(t *testing.T, s core.Store, tk *core.Token) {
	t.Helper()
	errOf(t, "CreateToken "+tk.ID, s.CreateToken(context.Background(), tk), nil)
}

// consume calls ConsumeToken with tk's user, type, hash and target at now, checks
// the error against want and, on success, every field of the result.
func consume(t *testing.T, s core.Store, what string, tk *core.Token, now time.Time, want error) {
	t.Helper()
	got, err := s.ConsumeToken(context.Background(), tk.UserID, tk.Type, tk.SecretHash, tk.Target, now)
	errOf(t, what, err, want)
	if want == nil {
		checkToken(t, what, got, tk)
	}
}

// raceConsume runs 20 consumers of tk at once, consumer i calling
// consume(i), and checks that exactly one gets tk and the others
// core.ErrNotFound.
func raceConsume(t *testing.T, tk *core.Token, consume func(i int) (*core.Token, error)) {
	t.Helper()
	const n = 20
	got := make([]*core.Token, n)
	errs := make([]error, n)
	atOnce(n, func(i int) {
		got[i], errs[i] = consume(i)
	})
	wins := 0
	for i := range n {
		if errs[i] == nil {
			wins++
			checkToken(t, fmt.Sprintf("goroutine %d", i), got[i], tk)
			continue
		}
		errOf(t, fmt.Sprintf("goroutine %d", i), errs[i], core.ErrNotFound)
	}
	if wins != 1 {
		t.Errorf("%d of %d concurrent consumers got the token, want 1", wins, n)
	}
}

// checkToken compares every field of got with want.
func checkToken(t *testing.T, what string, got, want *core.Token) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: nil token", what)
	}
	var d diff
	d.eq("ID", got.ID, want.ID)
	d.eq("UserID", got.UserID, want.UserID)
	d.eq("Type", got.Type, want.Type)
	d.bytes("SecretHash", got.SecretHash, want.SecretHash)
	d.bytes("Target", got.Target, want.Target)
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.time("Expire", got.Expire, want.Expire)
	d.eq("IP", got.IP, want.IP)
	d.eq("UserAgent", got.UserAgent, want.UserAgent)
	d.report(t, what)
}

// RunTokens checks core.Tokens: round-trips through ConsumeToken, single
// use also under concurrency, misses that delete nothing, conflicts and
// purging.
func RunTokens(t *testing.T, open Opener) {
	ctx := context.Background()
	now := at(0)

	t.Run("RoundTrip", func(t *testing.T) {
		s := withUsers(t, open)
		full := fullToken("t-full", "u1", core.TokenRecovery)
		full.CreatedAt = full.CreatedAt.In(time.FixedZone("UTC+9", 9*3600))
		// A hash with zero bytes and high bits set must survive as binary.
		minimal := &core.Token{ID: "t-min", UserID: "u2", Type: core.TokenPhoneSession,
			SecretHash: []byte{0, 0xff, 0, 0x80, 'a', 0}, Target: []byte{0, 0x80, 0}, Expire: at(time.Millisecond)}
		for _, tk := range []*core.Token{full, minimal} {
			mustCreateToken(t, s, tk)
			consume(t, s, "ConsumeToken "+tk.ID, tk, now, nil)
			consume(t, s, "ConsumeToken again "+tk.ID, tk, now, core.ErrNotFound)
		}
	})

	t.Run("MissesDeleteNothing", func(t *testing.T) {
		s, tk := withToken(t, open, core.TokenVerification)
		for _, tc := range []struct {
			name   string
			userID string
			typ    core.TokenType
			hash   []byte
			target []byte
			now    time.Time
		}{
			{"WrongUser", "u2", tk.Type, tk.SecretHash, tk.Target, now},
			{"UnknownUser", "nobody", tk.Type, tk.SecretHash, tk.Target, now},
			{"WrongType", "u1", core.TokenMagicURL, tk.SecretHash, tk.Target, now},
			{"WrongHash", "u1", tk.Type, hash("other"), tk.Target, now},
			{"HashPrefix", "u1", tk.Type, tk.SecretHash[:16], tk.Target, now},
			// A token proves only the address it was sent to.
			{"WrongTarget", "u1", tk.Type, tk.SecretHash, hash("target-other"), now},
			{"TargetPrefix", "u1", tk.Type, tk.SecretHash, tk.Target[:16], now},
			{"NoTarget", "u1", tk.Type, tk.SecretHash, nil, now},
			{"ExpiredAtNow", "u1", tk.Type, tk.SecretHash, tk.Target, tk.Expire},
			{"ExpiredLater", "u1", tk.Type, tk.SecretHash, tk.Target, tk.Expire.Add(time.Hour)},
		} {
			_, err := s.ConsumeToken(ctx, tc.userID, tc.typ, tc.hash, tc.target, tc.now)
			errOf(t, "ConsumeToken "+tc.name, err, core.ErrNotFound)
		}
		// One millisecond before expiry the token still works, so none of
		// the misses deleted it.
		consume(t, s, "ConsumeToken after the misses", tk, tk.Expire.Add(-time.Millisecond), nil)
	})

	t.Run("ManyTokens", func(t *testing.T) {
		s := withUsers(t, open)
		types := []core.TokenType{core.TokenVerification, core.TokenRecovery,
			core.TokenMagicURL, core.TokenPhoneSession, core.TokenPhoneVerification}
		var tokens []*core.Token
		for _, user := range []string{"u1", "u2"} {
			for _, typ := range types {
				tk := fullToken(fmt.Sprintf("%s-%d", user, typ), user, typ)
				mustCreateToken(t, s, tk)
				tokens = append(tokens, tk)
			}
		}
		// Consuming one leaves the others.
		for _, tk := range tokens {
			consume(t, s, "ConsumeToken "+tk.ID, tk, now, nil)
		}
	})

	t.Run("Conflicts", func(t *testing.T) {
		s, first := withToken(t, open, core.TokenRecovery)
		dupID := fullToken("t1", "u2", core.TokenMagicURL)
		dupID.SecretHash = hash("another secret")
		errOf(t, "CreateToken duplicate id", s.CreateToken(ctx, dupID), core.ErrConflict)
		dupHash := fullToken("t2", "u2", core.TokenMagicURL)
		dupHash.SecretHash = first.SecretHash
		errOf(t, "CreateToken duplicate hash", s.CreateToken(ctx, dupHash), core.ErrConflict)
		consume(t, s, "ConsumeToken rejected", dupID, now, core.ErrNotFound)
		consume(t, s, "ConsumeToken first", first, now, nil)
		// The id and hash of a consumed token can be used again.
		mustCreateToken(t, s, first)
	})

	t.Run("WithoutTarget", func(t *testing.T) {
		// Tokens stored before targets were kept have none: no target
		// given, empty or not, spends them.
		s := withUsers(t, open)
		tk := fullToken("t1", "u1", core.TokenRecovery)
		tk.Target = nil
		mustCreateToken(t, s, tk)
		for _, target := range [][]byte{nil, {}} {
			_, err := s.ConsumeToken(ctx, tk.UserID, tk.Type, tk.SecretHash, target, now)
			errOf(t, "ConsumeToken without target", err, core.ErrNotFound)
		}
	})

	t.Run("DeleteUserTokens", func(t *testing.T) {
		s := withUsers(t, open)
		types := []core.TokenType{core.TokenVerification, core.TokenRecovery,
			core.TokenMagicURL, core.TokenPhoneSession, core.TokenPhoneVerification}
		tokens := map[string]*core.Token{}
		for _, user := range []string{"u1", "u2"} {
			for _, typ := range types {
				tk := fullToken(fmt.Sprintf("%s-%d", user, typ), user, typ)
				mustCreateToken(t, s, tk)
				tokens[tk.ID] = tk
			}
		}
		// An expired token goes too.
		old := fullToken("u1-old", "u1", core.TokenRecovery)
		old.Expire = at(-time.Hour)
		mustCreateToken(t, s, old)
		n, err := s.DeleteUserTokens(ctx, "u1")
		errOf(t, "DeleteUserTokens of no type", err, nil)
		if n != 0 {
			t.Errorf("DeleteUserTokens of no type = %d, want 0", n)
		}
		// Rolled back, the delete leaves every token.
		err = s.WithTx(ctx, func(tx core.Store) error {
			n, err := tx.DeleteUserTokens(ctx, "u1", types...)
			if err != nil || n != 6 {
				t.Errorf("DeleteUserTokens in tx = %d, %v; want 6", n, err)
			}
			return errAbort
		})
		errOf(t, "WithTx", err, errAbort)
		n, err = s.DeleteUserTokens(ctx, "u1", core.TokenVerification, core.TokenRecovery, core.TokenMagicURL)
		errOf(t, "DeleteUserTokens", err, nil)
		if n != 4 {
			t.Errorf("DeleteUserTokens = %d, want 4", n)
		}
		for id, tk := range tokens {
			want := error(nil)
			if tk.UserID == "u1" && (tk.Type == core.TokenVerification || tk.Type == core.TokenRecovery || tk.Type == core.TokenMagicURL) {
				want = core.ErrNotFound
			}
			consume(t, s, "ConsumeToken "+id, tk, now, want)
		}
		n, err = s.DeleteUserTokens(ctx, "nobody", types...)
		errOf(t, "DeleteUserTokens of unknown user", err, nil)
		if n != 0 {
			t.Errorf("DeleteUserTokens of unknown user = %d, want 0", n)
		}
	})

	t.Run("ConcurrentConsume", func(t *testing.T) {
		s, tk := withToken(t, open, core.TokenMagicURL)
		raceConsume(t, tk, func(int) (*core.Token, error) {
			return s.ConsumeToken(ctx, tk.UserID, tk.Type, tk.SecretHash, tk.Target, now)
		})
	})

	t.Run("DeleteExpired", func(t *testing.T) {
		s := withUsers(t, open)
		expiries := map[string]time.Duration{
			"long-gone": -30 * 24 * time.Hour, "just-gone": -time.Millisecond,
			"at-now": 0, "soon": time.Millisecond, "later": 24 * time.Hour,
		}
		tokens := map[string]*core.Token{}
		for id, d := range expiries {
			tk := fullToken(id, "u1", core.TokenRecovery)
			tk.Expire = now.Add(d)
			mustCreateToken(t, s, tk)
			tokens[id] = tk
		}
		n, err := s.DeleteExpiredTokens(ctx, now)
		errOf(t, "DeleteExpiredTokens", err, nil)
		if n != 2 {
			t.Errorf("DeleteExpiredTokens = %d, want 2", n)
		}
		n, err = s.DeleteExpiredTokens(ctx, now)
		errOf(t, "DeleteExpiredTokens again", err, nil)
		if n != 0 {
			t.Errorf("second DeleteExpiredTokens = %d, want 0", n)
		}
		// Consumed at a time before every expiry, only the purge explains
		// a miss.
		early := now.Add(-60 * 24 * time.Hour)
		for id, want := range map[string]error{
			"long-gone": core.ErrNotFound, "just-gone": core.ErrNotFound,
			"at-now": nil, "soon": nil,
		} {
			consume(t, s, "ConsumeToken "+id, tokens[id], early, want)
		}
		n, err = s.DeleteExpiredTokens(ctx, now.Add(48*time.Hour))
		errOf(t, "DeleteExpiredTokens later", err, nil)
		if n != 1 {
			t.Errorf("DeleteExpiredTokens two days on = %d, want 1", n)
		}
		consume(t, s, "ConsumeToken later", tokens["later"], early, core.ErrNotFound)
	})

	t.Run("InTx", func(t *testing.T) {
		s := withUsers(t, open)
		kept := fullToken("kept", "u1", core.TokenRecovery)
		mustCreateToken(t, s, kept)
		created := fullToken("created", "u2", core.TokenVerification)
		err := s.WithTx(ctx, func(tx core.Store) error {
			consume(t, tx, "ConsumeToken in tx", kept, now, nil)
			consume(t, tx, "ConsumeToken again in tx", kept, now, core.ErrNotFound)
			mustCreateToken(t, tx, created)
			return errAbort
		})
		errOf(t, "WithTx", err, errAbort)
		consume(t, s, "ConsumeToken of rolled back create", created, now, core.ErrNotFound)
		consume(t, s, "ConsumeToken after rolled back consume", kept, now, nil)
		// A committed create and consume.
		err = s.WithTx(ctx, func(tx core.Store) error {
			mustCreateToken(t, tx, created)
			consume(t, tx, "ConsumeToken of own create", created, now, nil)
			return tx.CreateToken(ctx, kept)
		})
		errOf(t, "WithTx", err, nil)
		consume(t, s, "ConsumeToken after commit", created, now, core.ErrNotFound)
		consume(t, s, "ConsumeToken of committed create", kept, now, nil)
	})
}

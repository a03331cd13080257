package mfa

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/domain"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/mail"
)

// The token types of MFA challenges: one per factor, so a challenge of
// one factor never completes with another's code.
const (
	TokenMFATOTP     core.TokenType = 20
	TokenMFAEmail    core.TokenType = 21
	TokenMFAPhone    core.TokenType = 22
	TokenMFARecovery core.TokenType = 23
)

// mfaChallengeLifetime is how long a challenge may be completed.
const mfaChallengeLifetime = 15 * time.Minute

// challengeFactor is one factor a challenge can be for: the value of the
// `factor` parameter, the name a session's factors list gives it, and
// its token type.
type challengeFactor struct {
	param, name string
	typ         core.TokenType
}

var challengeFactors = []challengeFactor{
	{"totp", "totp", TokenMFATOTP},
	{"email", "email", TokenMFAEmail},
	{"phone", "phone", TokenMFAPhone},
	{"recoverycode", "recoveryCode", TokenMFARecovery},
}

// challengeRoutes are the challenge routes, limited per user like the
// other confirmations (six-digit codes must not be guessed).
func (s *Factors) challengeRoutes() []httpapi.Route {
	// Today's SDKs call the plural path; the counters are shared.
	return []httpapi.Route{
		httpapi.NewRoute("POST", "mfa/challenge", httpapi.ScopeAccount, s.createMFAChallenge).Limit("mfa_challenge.create", httpapi.ByUser),
		httpapi.NewRoute("PUT", "mfa/challenge", httpapi.ScopeAccount, s.updateMFAChallenge).Limit("mfa_challenge.update", httpapi.ByUser),
		httpapi.NewRoute("POST", "mfa/challenges", httpapi.ScopeAccount, s.createMFAChallenge).Limit("mfa_challenge.create", httpapi.ByUser),
		httpapi.NewRoute("PUT", "mfa/challenges", httpapi.ScopeAccount, s.updateMFAChallenge).Limit("mfa_challenge.update", httpapi.ByUser),
	}
}

// challengeHash is the stored secret hash of challenge id of userID:
// email and phone challenges include their code, so only the right code
// finds them; TOTP and recovery-code challenges are found by id and
// their code is checked apart.
func challengeHash(typ core.TokenType, userID, id, code string) []byte {
	h := sha256.Sum256(fmt.Appendf(nil, "mfa\x00%d\x00%s\x00%s\x00%s", typ, userID, id, code))
	return h[:]
}

// challengeTarget is what a challenge of typ proves control of: the
// address for email and phone, nothing but the factor otherwise.
func challengeTarget(u *core.User, typ core.TokenType) []byte {
	switch typ {
	case TokenMFAEmail:
		return core.TargetHash(u.Email)
	case TokenMFAPhone:
		return core.TargetHash(u.Phone)
	}
	return core.TargetHash(fmt.Sprintf("mfa %d", typ))
}

// mfaChallengeModel is Appwrite's `mfaChallenge` model.
type mfaChallengeModel struct {
	ID        string `json:"$id"`
	CreatedAt string `json:"$createdAt"`
	UserID    string `json:"userId"`
	Expire    string `json:"expire"`
}

// createMFAChallenge is POST /v1/account/mfa/challenge: a challenge for
// one of the account's factors; email and phone get a code by mail or
// text.
func (s *Factors) createMFAChallenge(w http.ResponseWriter, r *httpapi.Request) error {
	param, err := r.Params.Required("factor", "Value must be one of (email, phone, totp, recoverycode)")
	if err != nil {
		return err
	}
	i := slices.IndexFunc(challengeFactors, func(f challengeFactor) bool { return f.param == param })
	if i < 0 {
		return core.InvalidParam("factor", "Value must be one of (email, phone, totp, recoverycode)")
	}
	f := challengeFactors[i]
	if f.typ == TokenMFAEmail && s.Project.Mailer == nil {
		return core.Errorf(core.ErrGeneralSMTPDisabled, "SMTP disabled")
	}
	if f.typ == TokenMFAPhone && s.Project.SMS == nil {
		return core.NewError(core.ErrGeneralPhoneDisabled)
	}
	ctx := r.Context()
	var tok *core.Token
	err = s.Store.WithTx(ctx, func(tx core.Store) error {
		u, err := tx.LockUser(ctx, r.Principal.User.ID)
		if err != nil {
			return err
		}
		if err := factorAvailable(ctx, tx, u, f); err != nil {
			return err
		}
		tok, err = s.issueChallenge(ctx, tx, r, u, f)
		return err
	})
	if errors.Is(err, core.ErrNotFound) {
		return core.Errorf(core.ErrGeneralUnauthorizedScope, "User (role: guests) missing scope (account)")
	}
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, mfaChallengeModel{ID: tok.ID, CreatedAt: httpapi.FormatTime(tok.CreatedAt),
		UserID: tok.UserID, Expire: httpapi.FormatTime(tok.Expire)})
}

// factorAvailable refuses a challenge for a factor the account lacks.
func factorAvailable(ctx context.Context, tx core.Store, u *core.User, f challengeFactor) error {
	have, err := factorsOf(ctx, tx, u)
	if err != nil {
		return err
	}
	ok := map[core.TokenType]bool{TokenMFATOTP: have.TOTP, TokenMFAEmail: have.Email,
		TokenMFAPhone: have.Phone, TokenMFARecovery: have.RecoveryCode}[f.typ]
	if !ok {
		return httpapi.ArgumentError("The factor %s is not available for this account: it is not set up or not verified.", f.param)
	}
	return nil
}

// issueChallenge stores the challenge token and, for email and phone,
// queues its code through tx.
func (s *Factors) issueChallenge(ctx context.Context, tx core.Store, r *httpapi.Request, u *core.User, f challengeFactor) (*core.Token, error) {
	now := s.Clock()
	tok := &core.Token{ID: core.NewID(now), UserID: u.ID, Type: f.typ, Target: challengeTarget(u, f.typ),
		CreatedAt: now, Expire: now.Add(mfaChallengeLifetime), IP: r.IP, UserAgent: core.Truncate(r.UserAgent(), 1024)}
	code := ""
	if f.typ == TokenMFAEmail || f.typ == TokenMFAPhone {
		code = core.NewCode()
	}
	tok.SecretHash = challengeHash(f.typ, u.ID, tok.ID, code)
	if err := tx.CreateToken(ctx, tok); err != nil {
		return nil, err
	}
	switch f.typ {
	case TokenMFAEmail:
		return tok, s.EnqueueMailData(ctx, tx, mail.KindOTP, u.Email, mail.TemplateData{Code: code, Name: u.Name}, tok)
	case TokenMFAPhone:
		return tok, s.EnqueueSMS(ctx, tx, u.Phone, code, tok)
	}
	return tok, nil
}

// updateMFAChallenge is PUT /v1/account/mfa/challenge: the code of a
// challenge adds its factor to the caller's session.
func (s *Factors) updateMFAChallenge(w http.ResponseWriter, r *httpapi.Request) error {
	id, err := r.Params.Required("challengeId", core.DescText(256))
	if err != nil {
		return err
	}
	code, err := otpParam(r)
	if err != nil {
		return err
	}
	ctx, sessID := r.Context(), r.Principal.Session.ID
	err = s.Store.WithTx(ctx, func(tx core.Store) error {
		u, err := tx.LockUser(ctx, r.Principal.User.ID)
		if err != nil {
			return err
		}
		f, err := s.completeChallenge(ctx, tx, u, id, code)
		if err != nil {
			return err
		}
		return tx.AddSessionFactor(ctx, sessID, f.name, s.Clock())
	})
	if errors.Is(err, core.ErrNotFound) {
		return core.Errorf(core.ErrGeneralUnauthorizedScope, "User (role: guests) missing scope (account)")
	}
	if err != nil {
		return err
	}
	// Every instance must drop what it cached of the half-signed-in
	// session, so it is let through at once.
	s.Revoke(ctx, core.Revocation{SessionID: sessID, UserID: r.Principal.User.ID})
	sess, err := s.Store.SessionByID(ctx, sessID)
	if err != nil {
		return err
	}
	m, err := s.RenderSessionMFA(ctx, sess, r.IsCurrent(sess))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, m)
}

// completeChallenge spends challenge id of u with code through tx (which
// holds u's lock): 401 user_invalid_token for an unknown, used or
// expired challenge or a wrong code. Nothing is spent unless all holds.
func (s *Factors) completeChallenge(ctx context.Context, tx core.Store, u *core.User, id, code string) (challengeFactor, error) {
	kinds := make([]core.TokenKind, 0, len(challengeFactors))
	for _, f := range challengeFactors {
		c := ""
		if f.typ == TokenMFAEmail || f.typ == TokenMFAPhone {
			c = code
		}
		kinds = append(kinds, core.TokenKind{Type: f.typ, Target: challengeTarget(u, f.typ), Hash: challengeHash(f.typ, u.ID, id, c)})
	}
	tok, err := tx.ConsumeAnyToken(ctx, u.ID, kinds, s.Clock())
	if errors.Is(err, core.ErrNotFound) {
		return challengeFactor{}, core.NewError(core.ErrUserInvalidToken)
	}
	if err != nil {
		return challengeFactor{}, err
	}
	f := challengeFactors[slices.IndexFunc(challengeFactors, func(f challengeFactor) bool { return f.typ == tok.Type })]
	switch f.typ {
	case TokenMFATOTP:
		m, err := domain.MFAOf(ctx, tx, u.ID)
		if err != nil {
			return f, err
		}
		if !m.TOTPVerified {
			return f, core.NewError(core.ErrUserInvalidToken)
		}
		return f, s.spendTOTP(ctx, tx, m, code)
	case TokenMFARecovery:
		if err := tx.UseRecoveryCode(ctx, u.ID, recoveryHash(u.ID, code)); errors.Is(err, core.ErrNotFound) {
			return f, core.NewError(core.ErrUserInvalidToken)
		} else if err != nil {
			return f, err
		}
	}
	return f, nil
}

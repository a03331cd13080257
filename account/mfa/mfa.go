package mfa

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/domain"
	"github.com/accountgate/accountgate/account/httpapi"
)

// TOTP parameters: what every authenticator app supports.
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	// totpSkew is how many steps before or after now a code may be from,
	// for clocks that are a little off.
	totpSkew = 1
	// recoveryCodeCount and recoveryCodeLen are Appwrite's numbers.
	recoveryCodeCount = 10
	recoveryCodeLen   = 10
)

// factorRoutes are the MFA routes (issue 14).
func (s *Factors) factorRoutes() []httpapi.Route {
	return []httpapi.Route{
		httpapi.NewRoute("PATCH", "mfa", httpapi.ScopeAccount, s.updateMFA),
		httpapi.NewRoute("GET", "mfa/factors", httpapi.ScopeAccount, s.listMFAFactors),
		httpapi.NewRoute("POST", "mfa/authenticators/{type}", httpapi.ScopeAccount, s.createAuthenticator),
		httpapi.NewRoute("PUT", "mfa/authenticators/{type}", httpapi.ScopeAccount, s.verifyAuthenticator),
		httpapi.NewRoute("DELETE", "mfa/authenticators/{type}", httpapi.ScopeAccount, s.deleteAuthenticator),
		httpapi.NewRoute("POST", "mfa/recovery-codes", httpapi.ScopeAccount, s.createRecoveryCodes),
		httpapi.NewRoute("GET", "mfa/recovery-codes", httpapi.ScopeAccount, s.getRecoveryCodes),
		httpapi.NewRoute("PATCH", "mfa/recovery-codes", httpapi.ScopeAccount, s.updateRecoveryCodes),
	}
}

// updateMFA is PATCH /v1/account/mfa: the account's switch.
func (s *Factors) updateMFA(w http.ResponseWriter, r *httpapi.Request) error {
	on, err := r.Params.Bool("mfa")
	if err != nil {
		return err
	}
	u, err := s.ChangeOwnUser(r, "", func(tx core.Store, u *core.User) error {
		m, err := domain.MFAOf(r.Context(), tx, u.ID)
		if err != nil {
			return err
		}
		m.Enabled, m.UpdatedAt = on, s.Clock()
		return tx.SaveMFA(r.Context(), m)
	})
	if err != nil {
		return err
	}
	s.Audit(r, u, "user.update")
	return writeAccount(w, u, on)
}

// mfaFactorsModel is Appwrite's `mfaFactors` model.
type mfaFactorsModel struct {
	TOTP         bool `json:"totp"`
	Phone        bool `json:"phone"`
	Email        bool `json:"email"`
	RecoveryCode bool `json:"recoveryCode"`
}

// factorsOf says which second factors u can use.
func factorsOf(ctx context.Context, st core.Store, u *core.User) (mfaFactorsModel, error) {
	m, err := domain.MFAOf(ctx, st, u.ID)
	if err != nil {
		return mfaFactorsModel{}, err
	}
	n, err := st.RecoveryCodeCount(ctx, u.ID)
	if err != nil {
		return mfaFactorsModel{}, err
	}
	return mfaFactorsModel{
		TOTP:         m.TOTPVerified,
		Phone:        u.Phone != "" && u.PhoneVerification,
		Email:        u.Email != "" && u.EmailVerification,
		RecoveryCode: n > 0,
	}, nil
}

// listMFAFactors is GET /v1/account/mfa/factors.
func (s *Factors) listMFAFactors(w http.ResponseWriter, r *httpapi.Request) error {
	f, err := factorsOf(r.Context(), s.Store, r.Principal.User)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, f)
}

// authenticatorType checks the {type} of the authenticator routes: only
// TOTP exists.
func authenticatorType(r *httpapi.Request) error {
	if r.PathValue("type") != "totp" {
		return core.InvalidParam("type", "Value must be one of (totp)")
	}
	return nil
}

// mfaTypeModel is Appwrite's `mfaType` model: what an authenticator app
// needs (a QR code of the URI is the client's job).
type mfaTypeModel struct {
	Secret string `json:"secret"`
	URI    string `json:"uri"`
}

// createAuthenticator is POST /v1/account/mfa/authenticators/totp: a new
// secret, replacing one not verified yet.
func (s *Factors) createAuthenticator(w http.ResponseWriter, r *httpapi.Request) error {
	if err := authenticatorType(r); err != nil {
		return err
	}
	var key *otp.Key
	_, err := s.ChangeOwnUser(r, "", func(tx core.Store, u *core.User) error {
		m, err := domain.MFAOf(r.Context(), tx, u.ID)
		if err != nil {
			return err
		}
		if m.TOTPVerified {
			return core.NewError(core.ErrUserAuthenticatorAlreadyVerified)
		}
		account := u.Email
		if account == "" {
			account = u.ID
		}
		key, err = totp.Generate(totp.GenerateOpts{Issuer: s.Project.ProjectName, AccountName: account,
			Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1, Rand: rand.Reader})
		if err != nil {
			return err
		}
		m.TOTPSecret, m.UpdatedAt = s.TOTPSeal.Seal([]byte(key.Secret())), s.Clock()
		return tx.SaveMFA(r.Context(), m)
	})
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, mfaTypeModel{Secret: key.Secret(), URI: key.URL()})
}

// otpParam reads the required `otp` parameter.
func otpParam(r *httpapi.Request) (string, error) {
	return r.Params.Required("otp", core.DescText(256))
}

// verifyAuthenticator is PUT /v1/account/mfa/authenticators/totp: a first
// code proves the app has the secret, and the authenticator becomes a
// factor.
func (s *Factors) verifyAuthenticator(w http.ResponseWriter, r *httpapi.Request) error {
	if err := authenticatorType(r); err != nil {
		return err
	}
	code, err := otpParam(r)
	if err != nil {
		return err
	}
	var enabled bool
	u, err := s.ChangeOwnUser(r, "", func(tx core.Store, u *core.User) error {
		m, err := domain.MFAOf(r.Context(), tx, u.ID)
		if err != nil {
			return err
		}
		if m.TOTPSecret == nil {
			return core.NewError(core.ErrUserAuthenticatorNotFound)
		}
		if m.TOTPVerified {
			return core.NewError(core.ErrUserAuthenticatorAlreadyVerified)
		}
		if err := s.spendTOTP(r.Context(), tx, m, code); err != nil {
			return err
		}
		m.TOTPVerified, m.UpdatedAt = true, s.Clock()
		enabled = m.Enabled
		if err := tx.SaveMFA(r.Context(), m); err != nil {
			return err
		}
		// The code proved the factor for this session too, as a
		// challenge would (Appwrite does the same).
		return tx.AddSessionFactor(r.Context(), r.Principal.Session.ID, "totp", m.UpdatedAt)
	})
	if err != nil {
		return err
	}
	s.Audit(r, u, "user.update")
	return writeAccount(w, u, enabled)
}

// spendTOTP accepts code if it is the user's TOTP code of a step within
// the skew window that was not used before; the store records the step,
// so the code works once across instances. 401 user_invalid_token
// otherwise.
func (s *Factors) spendTOTP(ctx context.Context, tx core.Store, m *core.MFAState, code string) error {
	secret, err := s.TOTPSeal.Open(m.TOTPSecret)
	if err != nil {
		return err
	}
	step, ok := totpStep(string(secret), code, s.Clock())
	if !ok {
		return core.NewError(core.ErrUserInvalidToken)
	}
	if err := tx.UseTOTPStep(ctx, m.UserID, step); errors.Is(err, core.ErrNotFound) {
		return core.NewError(core.ErrUserInvalidToken)
	} else if err != nil {
		return err
	}
	return nil
}

// totpStep finds the time step near now whose code is code.
func totpStep(secret, code string, now time.Time) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	opts := totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}
	now0 := now.Unix() / totpPeriod
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		step := now0 + d
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), opts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// deleteAuthenticator is DELETE /v1/account/mfa/authenticators/totp.
func (s *Factors) deleteAuthenticator(w http.ResponseWriter, r *httpapi.Request) error {
	if err := authenticatorType(r); err != nil {
		return err
	}
	u, err := s.ChangeOwnUser(r, "", func(tx core.Store, u *core.User) error {
		m, err := domain.MFAOf(r.Context(), tx, u.ID)
		if err != nil {
			return err
		}
		if m.TOTPSecret == nil {
			return core.NewError(core.ErrUserAuthenticatorNotFound)
		}
		m.TOTPSecret, m.TOTPVerified, m.UpdatedAt = nil, false, s.Clock()
		return tx.SaveMFA(r.Context(), m)
	})
	if err != nil {
		return err
	}
	s.Audit(r, u, "user.update")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// mfaRecoveryCodesModel is Appwrite's `mfaRecoveryCodes` model.
type mfaRecoveryCodesModel struct {
	RecoveryCodes []string `json:"recoveryCodes"`
}

// recoveryAlphabet has 32 letters and digits, so a random byte maps to
// one without bias; look-alikes (0/o, 1/l) are left out.
const recoveryAlphabet = "abcdefghijkmnpqrstuvwxyz23456789"

func newRecoveryCode() string {
	b := make([]byte, recoveryCodeLen)
	rand.Read(b)
	for i := range b {
		b[i] = recoveryAlphabet[b[i]%32]
	}
	return string(b)
}

// recoveryHash is how a recovery code of userID is stored: with the user
// id, so equal codes of two users never clash.
func recoveryHash(userID, code string) []byte {
	h := sha256.Sum256([]byte("recovery code\x00" + userID + "\x00" + strings.ToLower(code)))
	return h[:]
}

// newRecoveryCodes stores a fresh set for the user through tx (which
// holds the user's lock) and returns it; only the hashes are kept.
func newRecoveryCodes(ctx context.Context, tx core.Store, userID string) ([]string, error) {
	codes := make([]string, recoveryCodeCount)
	hashes := make([][]byte, recoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = recoveryHash(userID, codes[i])
	}
	return codes, tx.ReplaceRecoveryCodes(ctx, userID, hashes)
}

// recoveryCodes creates (regenerate=false: only if there are none) or
// regenerates (regenerate=true: only if there are some) the caller's
// codes.
func (s *Factors) recoveryCodes(r *httpapi.Request, regenerate bool) ([]string, error) {
	var codes []string
	u, err := s.ChangeOwnUser(r, "", func(tx core.Store, u *core.User) error {
		n, err := tx.RecoveryCodeCount(r.Context(), u.ID)
		if err != nil {
			return err
		}
		switch {
		case !regenerate && n > 0:
			return core.NewError(core.ErrUserRecoveryCodesAlreadyExists)
		case regenerate && n == 0:
			return core.NewError(core.ErrUserRecoveryCodesNotFound)
		}
		codes, err = newRecoveryCodes(r.Context(), tx, u.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.Audit(r, u, "user.update")
	return codes, nil
}

// createRecoveryCodes is POST /v1/account/mfa/recovery-codes.
func (s *Factors) createRecoveryCodes(w http.ResponseWriter, r *httpapi.Request) error {
	codes, err := s.recoveryCodes(r, false)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, mfaRecoveryCodesModel{RecoveryCodes: codes})
}

// updateRecoveryCodes is PATCH /v1/account/mfa/recovery-codes: a new set,
// the old codes void.
func (s *Factors) updateRecoveryCodes(w http.ResponseWriter, r *httpapi.Request) error {
	codes, err := s.recoveryCodes(r, true)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, mfaRecoveryCodesModel{RecoveryCodes: codes})
}

// getRecoveryCodes is GET /v1/account/mfa/recovery-codes. Appwrite keeps
// the codes readable; Accountgate keeps only their hashes, so they are
// shown once, when made.
func (s *Factors) getRecoveryCodes(w http.ResponseWriter, r *httpapi.Request) error {
	n, err := s.Store.RecoveryCodeCount(r.Context(), r.Principal.User.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return core.NewError(core.ErrUserRecoveryCodesNotFound)
	}
	return core.Errorf(core.ErrUserRecoveryCodesAlreadyExists, "Recovery codes are stored hashed and shown only when created or regenerated (PATCH /v1/account/mfa/recovery-codes); %d unused codes remain.", n)
}

// writeAccount answers 200 with the account model of u, whose MFA switch
// the caller has just read or written as mfaOn.
func writeAccount(w http.ResponseWriter, u *core.User, mfaOn bool) error {
	a := httpapi.RenderAccount(u)
	a.MFA = mfaOn
	return httpapi.WriteJSON(w, http.StatusOK, a)
}

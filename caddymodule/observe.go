package caddymodule

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/outbox"
	"github.com/accountgate/accountgate/account/verify"
	"github.com/accountgate/accountgate/store/redis"
)

// projectObserver is a project's core.Observer: metrics and the
// security log.
type projectObserver struct {
	metrics *projectMetrics
	seclog  *securityLog
}

func (o *projectObserver) Observe(_ context.Context, e core.Event) {
	o.metrics.observe(e)
	o.seclog.observe(e)
}

// projectOps is what the health checks of a project look at.
type projectOps struct {
	kind  string
	store core.StoreStatus
	redis *redis.Client // nil without a cache
}

// opsSlots hold each project's projectOps: the health handlers take
// their slot at Provision, and the app fills it at Start, when the stores
// open.
type opsSlots struct {
	mu    sync.Mutex
	slots map[string]*atomic.Pointer[projectOps]
}

// slot returns project id's slot, creating it on first use.
func (o *opsSlots) slot(id string) *atomic.Pointer[projectOps] {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.slots == nil {
		o.slots = map[string]*atomic.Pointer[projectOps]{}
	}
	if o.slots[id] == nil {
		o.slots[id] = new(atomic.Pointer[projectOps])
	}
	return o.slots[id]
}

// opsSlot returns the slot of project id's projectOps.
func (a *App) opsSlot(id string) *atomic.Pointer[projectOps] {
	if a.ops == nil {
		a.ops = &opsSlots{}
	}
	return a.ops.slot(id)
}

// instrument wires a project's metrics, security log and health checks
// into cfg as the app starts it: it times the store, sets the observer
// and publishes what the readiness check pings.
func (a *App) instrument(id string, p *Project, st core.Store, cfg *core.Config) error {
	if err := registerMetrics(a.ctx.GetMetricsRegistry()); err != nil {
		return fmt.Errorf("registering metrics: %w", err)
	}
	status, ok := st.(core.StoreStatus)
	if !ok {
		return fmt.Errorf("store %s cannot report its status", p.Store.Kind)
	}
	ops := &projectOps{kind: p.Store.Kind, store: status}
	if rc, ok := cfg.RateLimiter.(*redis.Client); ok {
		ops.redis = rc
	}
	a.opsSlot(id).Store(ops)
	metrics.outboxDepth.set(a, id, status)

	cfg.Store = &timedStore{Store: st, project: id}
	cfg.Observer = newProjectObserver(id, a.ctx.Logger(), p.LogEmails)
	return nil
}

// forgetOps stops reporting the outbox depth of this config's projects
// (a newer config may already report its own).
func (a *App) forgetOps() {
	for _, id := range a.projectIDs() {
		metrics.outboxDepth.drop(a, id)
	}
}

// newProjectObserver counts a project's events and writes its security
// log through appLog's child logger "security".
func newProjectObserver(id string, appLog *zap.Logger, logEmails bool) *projectObserver {
	return &projectObserver{
		metrics: newProjectMetrics(id),
		seclog: &securityLog{
			log:       appLog.Named(securityLoggerName).With(zap.String("project", id)),
			logEmails: logEmails,
		},
	}
}

// timedStore times the store calls of one project. Methods it does not
// override pass through untimed.
type timedStore struct {
	core.Store
	project string
}

func (s *timedStore) done(op string, start time.Time) {
	metrics.storeCalls.WithLabelValues(s.project, op).Observe(time.Since(start).Seconds())
}

func (s *timedStore) WithTx(ctx context.Context, fn func(tx core.Store) error) error {
	defer s.done("WithTx", time.Now())
	return s.Store.WithTx(ctx, func(tx core.Store) error {
		return fn(&timedStore{Store: tx, project: s.project})
	})
}

func (s *timedStore) CreateUser(ctx context.Context, u *core.User) error {
	defer s.done("CreateUser", time.Now())
	return s.Store.CreateUser(ctx, u)
}

func (s *timedStore) UserByID(ctx context.Context, id string) (*core.User, error) {
	defer s.done("UserByID", time.Now())
	return s.Store.UserByID(ctx, id)
}

func (s *timedStore) UserByEmail(ctx context.Context, email string) (*core.User, error) {
	defer s.done("UserByEmail", time.Now())
	return s.Store.UserByEmail(ctx, email)
}

func (s *timedStore) UserByPhone(ctx context.Context, phone string) (*core.User, error) {
	defer s.done("UserByPhone", time.Now())
	return s.Store.UserByPhone(ctx, phone)
}

func (s *timedStore) UpdateUser(ctx context.Context, u *core.User) error {
	defer s.done("UpdateUser", time.Now())
	return s.Store.UpdateUser(ctx, u)
}

func (s *timedStore) CreateSession(ctx context.Context, sess *core.Session) error {
	defer s.done("CreateSession", time.Now())
	return s.Store.CreateSession(ctx, sess)
}

func (s *timedStore) SessionByID(ctx context.Context, id string) (*core.Session, error) {
	defer s.done("SessionByID", time.Now())
	return s.Store.SessionByID(ctx, id)
}

func (s *timedStore) SessionBySecretHash(ctx context.Context, hash []byte) (*core.Session, error) {
	defer s.done("SessionBySecretHash", time.Now())
	return s.Store.SessionBySecretHash(ctx, hash)
}

func (s *timedStore) UserSessions(ctx context.Context, userID string) ([]*core.Session, error) {
	defer s.done("UserSessions", time.Now())
	return s.Store.UserSessions(ctx, userID)
}

func (s *timedStore) DeleteSession(ctx context.Context, id string) error {
	defer s.done("DeleteSession", time.Now())
	return s.Store.DeleteSession(ctx, id)
}

func (s *timedStore) CreateLog(ctx context.Context, e *core.LogEntry) error {
	defer s.done("CreateLog", time.Now())
	return s.Store.CreateLog(ctx, e)
}

func (s *timedStore) UserLogs(ctx context.Context, userID string, limit, offset int) ([]*core.LogEntry, int, error) {
	defer s.done("UserLogs", time.Now())
	return s.Store.UserLogs(ctx, userID, limit, offset)
}

func (s *timedStore) CreateToken(ctx context.Context, t *core.Token) error {
	defer s.done("CreateToken", time.Now())
	return s.Store.CreateToken(ctx, t)
}

func (s *timedStore) EnqueueMessage(ctx context.Context, m *outbox.Message) error {
	defer s.done("EnqueueMessage", time.Now())
	return s.Store.EnqueueMessage(ctx, m)
}

func (s *timedStore) ClaimMessages(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*outbox.Message, error) {
	defer s.done("ClaimMessages", time.Now())
	return s.Store.ClaimMessages(ctx, now, lease, limit)
}

func (s *timedStore) DeleteMessage(ctx context.Context, id string) error {
	defer s.done("DeleteMessage", time.Now())
	return s.Store.DeleteMessage(ctx, id)
}

var _ core.Store = (*timedStore)(nil)

// observe reports the gate's decision on r. Refusals carry who and why;
// the allowed path, which is hot, carries nothing more.
func (g *Gate) observe(svc *account.Service, r *http.Request, p *verify.Principal, e *core.Error) {
	ev := core.Event{Kind: core.EventGate, Result: core.ResultAllowed}
	if e != nil {
		ev.Result, ev.Reason = core.ResultRefused, g.refusalReason(p, e)
		ev.IP, ev.Path = clientIP(r), r.URL.Path
		if p != nil {
			ev.UserID, ev.Email = p.User.ID, p.User.Email
			if p.Session != nil {
				ev.SessionID = p.Session.ID
			}
		}
	}
	svc.Observe(r.Context(), ev)
}

// refusalReason names why the gate refused: p is nil when GateCheck
// refused, and set when a requirement was not met or a cross-site write
// came with the session cookie.
func (g *Gate) refusalReason(p *verify.Principal, e *core.Error) string {
	switch {
	case p == nil && e.Status() >= 500:
		return core.ReasonError
	case e.Type == core.ErrGeneralUnknownOrigin:
		return core.ReasonCSRF
	case e.Type == core.ErrGeneralResourceBlocked:
		return core.ReasonPolicy
	case p == nil && e.Type == core.ErrUserBlocked:
		return core.ReasonBlocked
	case p == nil && e.Type == core.ErrUserMoreFactorsRequired:
		return core.ReasonMoreFactors
	case e.Type == core.ErrUserMFARequired:
		return core.ReasonMFARequired
	case p == nil:
		return core.ReasonUnauthenticated
	}
	for _, req := range g.Require {
		switch {
		case req == "verified_email" && !p.User.EmailVerification:
			return core.ReasonUnverifiedEmail
		case req == "verified_phone" && !p.User.PhoneVerification:
			return core.ReasonUnverifiedPhone
		}
	}
	return core.ReasonError
}

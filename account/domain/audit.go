package domain

import (
	"context"
	"time"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/httpapi"
	"github.com/accountgate/accountgate/account/useragent"
)

// ClientInfo is what a request says about where it came from.
type ClientInfo struct {
	IP, UserAgent, Country string
	Device                 core.Device
}

func (a *Accounts) ClientInfo(ip, ua string) ClientInfo {
	ua = core.Truncate(ua, 1024)
	country := "--"
	if a.cfg.Countries != nil {
		country = a.cfg.Countries.Country(ip)
	}
	return ClientInfo{IP: ip, UserAgent: ua, Country: country, Device: useragent.Parse(ua)}
}

// Audit records a security-log event for user. A failure is logged, not
// returned: the action itself already happened.
func (a *Accounts) Audit(r *httpapi.Request, user *core.User, event string) {
	a.api.ObserveAudit(r, user, event)
	info := a.ClientInfo(r.IP, r.UserAgent())
	now := a.Clock()
	e := &core.LogEntry{
		ID:          core.NewID(now),
		UserID:      user.ID,
		Event:       event,
		UserEmail:   user.Email,
		UserName:    user.Name,
		Mode:        "default",
		IP:          info.IP,
		Time:        now,
		UserAgent:   info.UserAgent,
		CountryCode: info.Country,
		Device:      info.Device,
	}
	// The request may be cancelled right after the response; the log
	// entry must still be written.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	if err := a.store.CreateLog(ctx, e); err != nil {
		a.log.Error("writing security log", "event", event, "user", user.ID, "error", err)
	}
}

// AdminAudit records an operator's action in the user's security log,
// in Appwrite's "admin" mode and without a client. A failure is logged:
// the action itself already happened.
func (a *Accounts) AdminAudit(ctx context.Context, u *core.User, event string) {
	now := a.Clock()
	e := &core.LogEntry{ID: core.NewID(now), UserID: u.ID, Event: event, UserEmail: u.Email, UserName: u.Name,
		Mode: "admin", Time: now, CountryCode: "--"}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := a.store.CreateLog(ctx, e); err != nil {
		a.log.Error("writing security log", "event", event, "user", u.ID, "error", err)
	}
}

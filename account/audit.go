package account

import (
	"context"
	"time"

	"github.com/accountgate/accountgate/account/httpapi"

	"github.com/accountgate/accountgate/account/core"

	"github.com/accountgate/accountgate/account/useragent"
)

// clientInfo is what a request says about where it came from.
type clientInfo struct {
	IP, userAgent, country string
	device                 core.Device
}

func (s *Service) clientInfo(ip, ua string) clientInfo {
	ua = core.Truncate(ua, 1024)
	country := "--"
	if s.cfg.Countries != nil {
		country = s.cfg.Countries.Country(ip)
	}
	return clientInfo{IP: ip, userAgent: ua, country: country, device: useragent.Parse(ua)}
}

// audit records a security-log event for user. A failure is logged, not
// returned: the action itself already happened.
func (s *Service) audit(r *httpapi.Request, user *core.User, event string) {
	s.ObserveAudit(r, user, event)
	info := s.clientInfo(r.IP, r.UserAgent())
	now := s.clock()
	e := &core.LogEntry{
		ID:          core.NewID(now),
		UserID:      user.ID,
		Event:       event,
		UserEmail:   user.Email,
		UserName:    user.Name,
		Mode:        "default",
		IP:          info.IP,
		Time:        now,
		UserAgent:   info.userAgent,
		CountryCode: info.country,
		Device:      info.device,
	}
	// The request may be cancelled right after the response; the log
	// entry must still be written.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	if err := s.store.CreateLog(ctx, e); err != nil {
		s.log.Error("writing security log", "event", event, "user", user.ID, "error", err)
	}
}

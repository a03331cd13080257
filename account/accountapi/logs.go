package accountapi

import (
	"net/http"

	"github.com/accountgate/accountgate/account/httpapi"
)

// listLogs is GET /v1/account/logs, newest first.
func (s *Handlers) listLogs(w http.ResponseWriter, r *httpapi.Request) error {
	limit, offset, err := httpapi.ParseLogQueries(r.URL.Query())
	if err != nil {
		return err
	}
	entries, total, err := s.Store.UserLogs(r.Context(), r.Principal.User.ID, limit, offset)
	if err != nil {
		return err
	}
	out := httpapi.LogListModel{Total: total, Logs: make([]httpapi.LogModel, 0, len(entries))}
	for _, e := range entries {
		out.Logs = append(out.Logs, httpapi.RenderLog(e))
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

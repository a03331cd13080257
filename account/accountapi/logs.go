package accountapi

import (
	"net/http"

	"github.com/accountgate/accountgate/account/httpapi"
)

// listLogs is GET /v1/account/logs, newest first.
func (s *Account) listLogs(w http.ResponseWriter, r *httpapi.Request) error {
	limit, offset, err := httpapi.ParseLogQueries(r.URL.Query())
	if err != nil {
		return err
	}
	entries, total, err := s.Store.UserLogs(r.Context(), r.Principal.User.ID, limit, offset)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, httpapi.RenderLogs(entries, total))
}

package sqlite

import (
	"context"
	"strings"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/internal/userimport"
	"github.com/accountgate/accountgate/store/internal/userquery"
)

var _ core.UserImporter = (*Store)(nil)

// ImportUsers stores the users whose id, email and phone are all free, in
// one transaction of multi-row inserts (on the writer connection) that
// skip conflicting rows, and says for each user what became of it.
func (s *Store) ImportUsers(ctx context.Context, users []*core.User) ([]core.ImportResult, error) {
	var results []core.ImportResult
	err := s.WithTx(ctx, func(tx core.Store) error {
		var err error
		results, err = userimport.Users(ctx, tx.(*txStore).handles.importTx(), users)
		return err
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

func (h handles) importTx() userimport.Tx {
	return userimport.Tx{
		Dialect: userquery.SQLite,
		Columns: userColumns,
		Args:    func(u *core.User) []any { return append(userArgs(u), millis(u.AccessedAt)) },
		Inserted: func(ctx context.Context, query string, args []any) ([]string, error) {
			return h.strings(ctx, "import users", userimport.ScanKey[scanner], query, args...)
		},
		Existing: func(ctx context.Context, ids []string) ([]string, error) {
			args := make([]any, len(ids))
			for i, id := range ids {
				args[i] = id
			}
			return h.strings(ctx, "import users: existing", func(row scanner) (string, error) {
				var id string
				return id, row.Scan(&id)
			}, `SELECT id FROM users WHERE id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, args...)
		},
	}
}

// strings runs a query on the writer and returns what scan makes of each
// row.
func (h handles) strings(ctx context.Context, op string, scan func(scanner) (string, error), query string, args ...any) ([]string, error) {
	rows, err := h.w.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var list []string
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return list, nil
}

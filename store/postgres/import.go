package postgres

import (
	"context"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/internal/userimport"
	"github.com/accountgate/accountgate/store/internal/userquery"
)

var _ core.UserImporter = (*Store)(nil)

// ImportUsers stores the users whose id, email and phone are all free, in
// one transaction of multi-row inserts that skip conflicting rows, and
// says for each user what became of it.
func (s *Store) ImportUsers(ctx context.Context, users []*core.User) ([]core.ImportResult, error) {
	return userimport.InTx(ctx, s, func(tx core.Store) userimport.Tx { return tx.(*txStore).handles.importTx() }, users)
}

func (h handles) importTx() userimport.Tx {
	return userimport.Tx{
		Dialect: userquery.Postgres,
		Columns: userColumns,
		Args:    func(u *core.User) []any { return append(userArgs(u), millis(u.AccessedAt)) },
		Inserted: func(ctx context.Context, query string, args []any) ([]string, error) {
			return queryRows(ctx, h, "import users", userimport.ScanKey, query, args...)
		},
		Existing: func(ctx context.Context, ids []string) ([]string, error) {
			return queryRows(ctx, h, "import users: existing", func(row scanner) (string, error) {
				var id string
				return id, row.Scan(&id)
			}, `SELECT id FROM users WHERE id = ANY($1)`, ids)
		},
	}
}

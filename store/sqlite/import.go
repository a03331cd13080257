package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/accountgate/accountgate/account/core"
)

// importBatch is how many users one INSERT of ImportUsers carries: one
// parameter per column each stays under SQLite's 32766.
const importBatch = 1000

// importedKey is the columns of core.ImportKey of an inserted row.
const importedKey = `id, coalesce(email, ''), coalesce(phone, '')`

// userColumnCount is the number of columns of userColumns, counted so
// that a new column cannot leave the import behind.
var userColumnCount = strings.Count(userColumns, ",") + 1

var _ core.UserImporter = (*Store)(nil)

// ImportUsers stores the users whose id, email and phone are all free, in
// one transaction of multi-row inserts (on the writer connection) that skip conflicting rows, and
// says for each user what became of it.
func (s *Store) ImportUsers(ctx context.Context, users []*core.User) ([]core.ImportResult, error) {
	results := make([]core.ImportResult, len(users))
	err := s.WithTx(ctx, func(tx core.Store) error {
		h := tx.(*txStore).handles
		// created maps the ids created by this call to the index of the
		// user created.
		created := map[string]int{}
		for start := 0; start < len(users); start += importBatch {
			end := min(start+importBatch, len(users))
			if err := h.importBatch(ctx, users[start:end], results[start:end], start, created); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// importBatch inserts one batch, users[offset:] of the call, fills in its
// results and adds what it created to created.
func (h handles) importBatch(ctx context.Context, users []*core.User, results []core.ImportResult,
	offset int, created map[string]int) error {
	var query strings.Builder
	query.WriteString(`INSERT INTO users (` + userColumns + `) VALUES `)
	args := make([]any, 0, len(users)*userColumnCount)
	for i, u := range users {
		if i > 0 {
			query.WriteByte(',')
		}
		query.WriteByte('(')
		for j := range userColumnCount {
			if j > 0 {
				query.WriteByte(',')
			}
			query.WriteByte('?')
		}
		query.WriteByte(')')
		args = append(append(args, userArgs(u)...), millis(u.AccessedAt))
	}
	// No conflict target: a taken id, email or phone each skips the row,
	// also against a row earlier in the same statement.
	query.WriteString(` ON CONFLICT DO NOTHING RETURNING ` + importedKey)
	inserted, err := h.strings(ctx, "import users", scanKey, query.String(), args...)
	if err != nil {
		return err
	}
	in := make(map[string]bool, len(inserted))
	for _, key := range inserted {
		in[key] = true
	}
	var skipped []string
	for i, u := range users {
		// Of rows alike in id, email and phone, the first takes the
		// created row.
		if key := core.ImportKey(u); in[key] {
			results[i], in[key] = core.ImportCreated, false
			created[u.ID] = offset + i
			continue
		}
		results[i] = -1
		skipped = append(skipped, u.ID)
	}
	if len(skipped) == 0 {
		return nil
	}
	existing, err := h.strings(ctx, "import users: existing", scanString,
		`SELECT id FROM users WHERE id IN (?`+strings.Repeat(",?", len(skipped)-1)+`)`, anys(skipped)...)
	if err != nil {
		return err
	}
	exists := make(map[string]bool, len(existing))
	for _, id := range existing {
		exists[id] = true
	}
	for i, u := range users {
		if results[i] != -1 {
			continue
		}
		// A user skipped for an id created later in the call was
		// skipped for its email or phone.
		results[i] = core.ImportTaken
		if at, ok := created[u.ID]; exists[u.ID] && (!ok || at < offset+i) {
			results[i] = core.ImportExists
		}
	}
	return nil
}

// strings runs a query and returns what scan makes of each row.
func (h handles) strings(ctx context.Context, op string, scan func(*sql.Rows) (string, error), query string, args ...any) ([]string, error) {
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

// scanKey reads the importedKey columns as an core.ImportKey.
func scanKey(rows *sql.Rows) (string, error) {
	var u core.User
	err := rows.Scan(&u.ID, &u.Email, &u.Phone)
	return core.ImportKey(&u), err
}

func scanString(rows *sql.Rows) (string, error) {
	var s string
	return s, rows.Scan(&s)
}

func anys(s []string) []any {
	a := make([]any, len(s))
	for i, v := range s {
		a[i] = v
	}
	return a
}

// Package userimport holds the stores' ImportUsers, which SQLite and
// PostgreSQL share but for the driver calls and a few spellings: batches
// of multi-row inserts that skip conflicting rows, then the reason each
// skipped user was skipped.
package userimport

import (
	"context"
	"strings"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/store/internal/sqlrows"
	"github.com/accountgate/accountgate/store/internal/userquery"
)

// Batch is how many users one INSERT carries: one parameter per column
// each stays under SQLite's 32766 and PostgreSQL's 65535.
const Batch = 1000

// Returning is the columns of core.ImportKey of an inserted row; ScanKey
// reads them.
const Returning = `id, coalesce(email, ''), coalesce(phone, '')`

// Tx is one store's transaction as the import uses it.
type Tx struct {
	Dialect userquery.Dialect
	// Columns is the users table's columns, in the order of Args.
	Columns string
	// Args is a user's values for Columns.
	Args func(*core.User) []any
	// Inserted runs an INSERT ... RETURNING Returning and gives the key
	// ScanKey reads from each row.
	Inserted func(ctx context.Context, query string, args []any) ([]string, error)
	// Existing gives the ids of ids that users holds.
	Existing func(ctx context.Context, ids []string) ([]string, error)
}

// InTx runs Users in one transaction of s, txOf giving the store's Tx of
// the transaction.
func InTx(ctx context.Context, s core.Store, txOf func(core.Store) Tx, users []*core.User) ([]core.ImportResult, error) {
	var results []core.ImportResult
	err := s.WithTx(ctx, func(tx core.Store) error {
		var err error
		results, err = Users(ctx, txOf(tx), users)
		return err
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// Users stores the users whose id, email and phone are all free, in
// tx, and says for each user what became of it.
func Users(ctx context.Context, tx Tx, users []*core.User) ([]core.ImportResult, error) {
	results := make([]core.ImportResult, len(users))
	// created maps the ids created by this call to the index of the user
	// created.
	created := map[string]int{}
	columns := strings.Count(tx.Columns, ",") + 1
	for start := 0; start < len(users); start += Batch {
		end := min(start+Batch, len(users))
		if err := tx.batch(ctx, columns, users[start:end], results[start:end], start, created); err != nil {
			return nil, err
		}
	}
	return results, nil
}

// batch inserts one batch, users[offset:] of the call, fills in its
// results and adds what it created to created.
func (tx Tx) batch(ctx context.Context, columns int, users []*core.User, results []core.ImportResult,
	offset int, created map[string]int) error {
	var query strings.Builder
	query.WriteString(`INSERT INTO users (` + tx.Columns + `) VALUES `)
	args := make([]any, 0, len(users)*columns)
	for i, u := range users {
		if i > 0 {
			query.WriteByte(',')
		}
		query.WriteByte('(')
		for j := range columns {
			if j > 0 {
				query.WriteByte(',')
			}
			query.WriteString(tx.Dialect.Placeholder(len(args) + j + 1))
		}
		query.WriteByte(')')
		args = append(args, tx.Args(u)...)
	}
	// No conflict target: a taken id, email or phone each skips the row,
	// also against a row earlier in the same statement.
	query.WriteString(` ON CONFLICT DO NOTHING RETURNING ` + Returning)
	inserted, err := tx.Inserted(ctx, query.String(), args)
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
	existing, err := tx.Existing(ctx, skipped)
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

// ScanKey reads the Returning columns of a row as a core.ImportKey.
func ScanKey(row sqlrows.Scanner) (string, error) {
	var u core.User
	err := row.Scan(&u.ID, &u.Email, &u.Phone)
	return core.ImportKey(&u), err
}

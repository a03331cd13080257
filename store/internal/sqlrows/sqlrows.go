// Package sqlrows reads a query's rows into a list for both SQL stores:
// database/sql's *sql.Rows and pgx.Rows read alike.
package sqlrows

// Scanner is a row to read: the stores' scanner is this type.
type Scanner = interface {
	Scan(dest ...any) error
}

// Rows is a driver's rows; the caller closes them.
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// Collect hands each row to scan, in order, and returns what it makes of
// them; the first error stops the read.
func Collect[T any](rows Rows, scan func(Scanner) (T, error)) ([]T, error) {
	var list []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return list, nil
}

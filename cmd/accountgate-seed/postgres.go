package main

import (
	"context"

	"github.com/accountgate/accountgate/store/postgres"
)

// openPostgres opens (and migrates) the PostgreSQL database dsn names;
// store/postgres seeds in bulk with COPY, in one transaction.
func openPostgres(ctx context.Context, dsn string) (seeder, error) {
	return postgres.Open(ctx, dsn, postgres.Options{})
}

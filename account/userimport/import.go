package userimport

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/accountgate/accountgate/account/core"
)

// Options are the inputs of Import besides the store and the file.
type Options struct {
	// Format is one of Formats.
	Format string
	// Now is the creation time of users whose row has none; default the
	// time Import starts.
	Now time.Time
	// BatchSize is how many users go to the store at once; default 5000.
	BatchSize int
	// Firebase is the hash configuration of the firebase format.
	Firebase *FirebaseHashConfig
	// Report receives one line per failed row: its line number and what
	// is wrong with it.
	Report io.Writer
}

// Summary counts the rows of an import.
type Summary struct {
	// Created is the number of users stored.
	Created int
	// Unchanged is the number of users whose id was already stored (by an
	// earlier run, or an earlier row); they were left as they are.
	Unchanged int
	// Failed is the number of rows not imported, each reported.
	Failed int
}

// pending is a user waiting for its batch, with its line.
type pending struct {
	line int
	user *core.User
}

// Import reads the users of r in o.Format and stores them through im, in
// batches, each in one transaction. Bad rows are reported to o.Report and
// counted, and the rest is imported; the error is for what stops the
// whole import (an unreadable file or header, a store failure).
func Import(ctx context.Context, im core.UserImporter, r io.Reader, o Options) (Summary, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 5000
	}
	if o.Report == nil {
		o.Report = io.Discard
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return Summary{}, err
	}
	var sum Summary
	// failed holds the failures until their batch is stored, so that the
	// report is in line order.
	var failed []failure
	fail := func(line int, id string, err error) {
		sum.Failed++
		msg := err.Error()
		if id != "" {
			msg = "user " + id + ": " + msg
		}
		failed = append(failed, failure{line, msg})
	}
	report := func() {
		slices.SortStableFunc(failed, func(a, b failure) int { return a.line - b.line })
		for _, f := range failed {
			fmt.Fprintf(o.Report, "line %d: %s\n", f.line, f.msg)
		}
		failed = failed[:0]
	}
	batch := make([]pending, 0, o.BatchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		users := make([]*core.User, len(batch))
		for i, p := range batch {
			users[i] = p.user
		}
		results, err := im.ImportUsers(ctx, users)
		if err != nil {
			return fmt.Errorf("storing the users of lines %d to %d: %w", batch[0].line, batch[len(batch)-1].line, err)
		}
		for i, res := range results {
			switch res {
			case core.ImportCreated:
				sum.Created++
			case core.ImportExists:
				sum.Unchanged++
			default:
				fail(batch[i].line, batch[i].user.ID, errTaken)
			}
		}
		batch = batch[:0]
		report()
		return nil
	}
	err = read(o.Format, data, o.Firebase, func(line int, rec *record, err error) error {
		if err != nil {
			fail(line, "", err)
			return nil
		}
		u, err := rec.user(o.Now)
		if err != nil {
			fail(line, rec.UserID, err)
			return nil
		}
		batch = append(batch, pending{line: line, user: u})
		if len(batch) == o.BatchSize {
			return flush()
		}
		return ctx.Err()
	})
	if err == nil {
		err = flush()
	}
	report()
	return sum, err
}

// failure is a reported row.
type failure struct {
	line int
	msg  string
}

var errTaken = fmt.Errorf("its email or phone belongs to another user")

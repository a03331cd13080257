package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"github.com/accountgate/accountgate/account/core"
)

// ErrForeignKey is wrapped by the error of a write that refers to a row
// that does not exist, such as a session or token of an unknown user
// (SQLSTATE 23503). The service never does that on purpose: it means the
// user was deleted meanwhile, or a bug.
var ErrForeignKey = errors.New("postgres: referenced record does not exist")

// SQLSTATE codes the mapping singles out.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeQueryCanceled       = "57014"
)

// wrap turns a driver error into the account sentinel it means, keeping the
// original for the log.
func wrap(op string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", op, core.ErrNotFound)
	}
	if unavailable(err) {
		return fmt.Errorf("postgres: %s: %w: %w", op, core.ErrUnavailable, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeUniqueViolation:
			return fmt.Errorf("postgres: %s: %w: %w", op, core.ErrConflict, err)
		case codeForeignKeyViolation:
			return fmt.Errorf("postgres: %s: %w (%s): %w", op, ErrForeignKey, pe.ConstraintName, err)
		}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// unavailable reports whether err means the database cannot serve right
// now, rather than that the request is wrong: the caller may retry later.
func unavailable(err error) bool {
	// The caller gave up (a client that went away): not the database's
	// fault, and no reason to answer 503.
	if errors.Is(err, context.Canceled) {
		return false
	}
	// Whatever made a connection attempt fail, even the server's answer
	// (too many connections, starting up, a wrong password), the store
	// cannot reach its data.
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "53"),  // insufficient resources, e.g. too many connections
			strings.HasPrefix(pe.Code, "57P"), // admin or crash shutdown, cannot connect now
			strings.HasPrefix(pe.Code, "58"),  // system error (I/O)
			pe.Code == codeQueryCanceled:      // statement_timeout or a cancel request
			return true
		}
		// Any other error the server sent is about the statement.
		return false
	}
	var netErr net.Error
	return errors.Is(err, context.DeadlineExceeded) ||
		pgconn.Timeout(err) ||
		errors.Is(err, puddle.ErrClosedPool) ||
		errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.As(err, &netErr)
}

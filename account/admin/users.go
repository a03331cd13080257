package admin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/usersapi"
)

// Service is what the actions use of the Users API (usersapi.Users).
type Service interface {
	User(ctx context.Context, id string) (*core.User, error)
	ListUsers(ctx context.Context, afterID string, limit int) ([]*core.User, error)
	UserSessions(ctx context.Context, id string) ([]*core.Session, error)
	SetUserStatus(ctx context.Context, id string, active bool) (*core.User, error)
	SignOutUser(ctx context.Context, id string) (int, error)
	DeleteUser(ctx context.Context, id string) error
	SetUserPassword(ctx context.Context, id, password string) (*core.User, error)
	SetUserLabels(ctx context.Context, id string, labels []string) (*core.User, error)
}

var _ Service = (*usersapi.Users)(nil)

// Options are the inputs of an action besides its name and user id.
type Options struct {
	// JSON prints JSON instead of lines.
	JSON bool
	// Limit caps the users list prints; 0 means all of them.
	Limit int
	// After starts the list after this user id.
	After string
	// PageSize is how many users list reads at a time; default (and
	// most) usersapi.MaxListUsers.
	PageSize int
	// Stdin gives set-password its password (the first line), so that it
	// never appears in the process list or a shell history.
	Stdin io.Reader
	// Stdout receives the result.
	Stdout io.Writer
}

// Actions are the actions of the users command, in the order of its help.
var Actions = []string{"list", "show", "block", "unblock", "delete", "sign-out", "set-password", "label"}

// Mutates reports whether action changes a user (and so has revocations
// to send); an unknown action does not.
func Mutates(action string) bool {
	switch action {
	case "block", "unblock", "delete", "sign-out", "set-password", "label":
		return true
	}
	return false
}

// Check reports what is wrong with an action and its arguments, before
// anything is opened: list takes no argument, label a user id and a
// comma-separated list of labels ("" or none clears them), the others
// one user id.
func Check(action string, args []string) error {
	if action == "list" {
		if len(args) != 0 {
			return fmt.Errorf("users list takes no argument, got %q", args)
		}
		return nil
	}
	if action == "label" {
		if len(args) < 1 || len(args) > 2 || args[0] == "" {
			return errors.New("users label needs a user id and a comma-separated list of labels")
		}
		return nil
	}
	if _, ok := actions[action]; !ok {
		return fmt.Errorf("unknown action %q (one of: %s)", action, strings.Join(Actions, ", "))
	}
	if len(args) != 1 || args[0] == "" {
		return fmt.Errorf("users %s needs exactly one user id", action)
	}
	return nil
}

// Users runs one action (see Check).
func Users(ctx context.Context, svc Service, action string, args []string, o Options) error {
	if err := Check(action, args); err != nil {
		return err
	}
	if action == "list" {
		return list(ctx, svc, o)
	}
	if action == "label" {
		return explain(label(ctx, svc, args[0], args[1:], o), args[0])
	}
	return explain(actions[action](ctx, svc, args[0], o), args[0])
}

// actions are the actions on one user.
var actions = map[string]func(ctx context.Context, svc Service, id string, o Options) error{
	"show": show,
	"block": func(ctx context.Context, svc Service, id string, o Options) error {
		return setStatus(ctx, svc, id, false, o)
	},
	"unblock": func(ctx context.Context, svc Service, id string, o Options) error {
		return setStatus(ctx, svc, id, true, o)
	},
	"delete":       deleteUser,
	"sign-out":     signOut,
	"set-password": setPassword,
}

// explain turns the service's errors into an operator's words.
func explain(err error, id string) error {
	var ae *core.Error
	if !errors.As(err, &ae) {
		return err
	}
	switch ae.Type {
	case core.ErrUserNotFound:
		return fmt.Errorf("unknown user id %q", id)
	case core.ErrGeneralArgumentInvalid:
		return errors.New(ae.Message)
	}
	return err
}

// list prints the users page by page, so that any number fits.
func list(ctx context.Context, svc Service, o Options) error {
	p := newPrinter(o)
	p.startList()
	after, left := o.After, o.Limit
	for {
		n := usersapi.MaxListUsers
		if o.PageSize > 0 {
			n = min(n, o.PageSize)
		}
		if o.Limit > 0 {
			n = min(n, left)
		}
		if n == 0 {
			break
		}
		page, err := svc.ListUsers(ctx, after, n)
		if err != nil {
			return explain(err, after)
		}
		for _, u := range page {
			p.listUser(u)
		}
		// A page at a time, so that a million users need no more memory
		// than one page (columns line up within a page).
		if err := p.flush(); err != nil {
			return err
		}
		if len(page) < n {
			break
		}
		after, left = page[len(page)-1].ID, left-len(page)
	}
	return p.endList()
}

func show(ctx context.Context, svc Service, id string, o Options) error {
	u, err := svc.User(ctx, id)
	if err != nil {
		return err
	}
	sessions, err := svc.UserSessions(ctx, id)
	if err != nil {
		return err
	}
	return newPrinter(o).details(u, sessions)
}

func setStatus(ctx context.Context, svc Service, id string, active bool, o Options) error {
	u, err := svc.SetUserStatus(ctx, id, active)
	if err != nil {
		return err
	}
	return newPrinter(o).changed(u, "user %s is now %s", u.ID, statusWord(u))
}

func deleteUser(ctx context.Context, svc Service, id string, o Options) error {
	if err := svc.DeleteUser(ctx, id); err != nil {
		return err
	}
	return newPrinter(o).result(map[string]any{"$id": id, "deleted": true},
		"user %s deleted, with their sessions, tokens, identities and logs", id)
}

func signOut(ctx context.Context, svc Service, id string, o Options) error {
	n, err := svc.SignOutUser(ctx, id)
	if err != nil {
		return err
	}
	return newPrinter(o).result(map[string]any{"$id": id, "sessionsDeleted": n},
		"user %s signed out: %d sessions deleted", id, n)
}

func setPassword(ctx context.Context, svc Service, id string, o Options) error {
	password, err := readPassword(o.Stdin)
	if err != nil {
		return err
	}
	u, err := svc.SetUserPassword(ctx, id, password)
	if err != nil {
		return err
	}
	return newPrinter(o).changed(u, "user %s has a new password", u.ID)
}

// label sets the labels of user id from the comma-separated list in
// args (none or "" clears them), through the service's own rules.
func label(ctx context.Context, svc Service, id string, args []string, o Options) error {
	var labels []string
	if len(args) == 1 {
		for _, l := range strings.Split(args[0], ",") {
			if l = strings.TrimSpace(l); l != "" {
				labels = append(labels, l)
			}
		}
	}
	u, err := svc.SetUserLabels(ctx, id, labels)
	if err != nil {
		return err
	}
	if len(u.Labels) == 0 {
		return newPrinter(o).changed(u, "user %s has no labels", u.ID)
	}
	return newPrinter(o).changed(u, "user %s is labelled %s", u.ID, strings.Join(u.Labels, ","))
}

// readPassword reads the first line of r, without its line ending.
func readPassword(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("set-password reads the password from standard input")
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("set-password reads the password from standard input: got an empty line")
	}
	return line, nil
}

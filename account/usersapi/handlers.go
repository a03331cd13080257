// Package usersapi serves the Users API (/v1/users) to servers holding an
// API key, and the same actions on any user to the admin command.
package usersapi

import (
	"github.com/accountgate/accountgate/account/domain"
)

// Users serve the Users API of one project.
type Users struct{ domain.Env }

// New returns the Users API over env.
func New(env domain.Env) *Users { return &Users{env} }

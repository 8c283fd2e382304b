package sqlite

import (
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/clinic/ehr/internal/store"
)

// unavailable wraps a database failure so that callers see
// store.ErrUnavailable and can still test for the cause (a context error, say).
func unavailable(op string, err error) error {
	return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrUnavailable, err)
}

// conflict reports an optimistic-lock or duplicate-key failure.
func conflict(format string, args ...any) error {
	return fmt.Errorf("sqlite: "+format+": %w", append(args, store.ErrConflict)...)
}

// isConstraint reports whether err is a violated UNIQUE or PRIMARY KEY
// constraint, which a write reports as a conflict rather than an outage.
func isConstraint(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code()
	return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/clinic/ehr/internal/store"
)

// Commit runs the units in one IMMEDIATE transaction on the writer. Each unit
// runs inside a savepoint, so a failed unit is rolled back alone; then finish
// sees every unit's result; then the transaction commits (durably with
// synchronous=FULL). Results are nil when the commit as a whole fails.
func (s *Store) Commit(ctx context.Context, units []func(store.Tx) error, finish func(store.Tx, []error) error) ([]error, error) {
	if err := ctx.Err(); err != nil {
		return nil, unavailable("commit", err)
	}
	if err := s.acquireWriter(ctx); err != nil {
		return nil, err
	}
	defer s.releaseWriter()

	tx, err := s.writer.BeginTx(ctx, nil) // BEGIN IMMEDIATE, see writerDSN
	if err != nil {
		return nil, unavailable("begin", err)
	}
	defer tx.Rollback() // a no-op once committed

	// Statements run on a context without cancellation: the driver would
	// otherwise start a watcher goroutine per statement, and the transaction
	// (begun with ctx) still ends at ctx's deadline.
	c := &commit{ctx: context.WithoutCancel(ctx), tx: tx, ws: &s.ws, cache: s.writeCache, bound: map[*sql.Stmt]*sql.Stmt{}}
	results := make([]error, len(units))
	for i, unit := range units {
		if results[i], err = c.runUnit(unit); err != nil {
			return nil, err
		}
	}
	if finish != nil {
		if err := c.runFinish(finish, results); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, unavailable("commit", err)
	}
	return results, nil
}

// commit is the state of one Commit call: its transaction, and the writer's
// statements bound to it.
type commit struct {
	ctx   context.Context
	tx    *sql.Tx
	ws    *writeStmts
	cache *stmtCache // searches inside the commit
	bound map[*sql.Stmt]*sql.Stmt
}

// stmt returns the writer statement bound to this transaction.
func (c *commit) stmt(s *sql.Stmt) *sql.Stmt {
	b, ok := c.bound[s]
	if !ok {
		b = c.tx.StmtContext(c.ctx, s)
		c.bound[s] = b
	}
	return b
}

// runUnit runs one unit in a savepoint. unitErr is the unit's outcome; txErr
// means the transaction itself broke and the whole commit must stop.
func (c *commit) runUnit(unit func(store.Tx) error) (unitErr, txErr error) {
	if _, err := c.tx.ExecContext(c.ctx, "SAVEPOINT unit"); err != nil {
		return nil, unavailable("savepoint", err)
	}
	t := newUnitTx(c)
	unitErr = unit(t)
	if unitErr == nil {
		unitErr = t.apply()
	}
	if unitErr != nil {
		if _, err := c.tx.ExecContext(c.ctx, "ROLLBACK TO unit"); err != nil {
			return unitErr, unavailable("roll back unit", err)
		}
	}
	if _, err := c.tx.ExecContext(c.ctx, "RELEASE unit"); err != nil {
		return unitErr, unavailable("release unit", err)
	}
	return unitErr, nil
}

// runFinish runs finish and applies its writes; any failure fails the commit.
func (c *commit) runFinish(finish func(store.Tx, []error) error, results []error) error {
	t := newUnitTx(c)
	err := finish(t, results)
	if err == nil {
		err = t.apply()
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrUnavailable):
		return fmt.Errorf("sqlite: commit finish: %w", err)
	default:
		// Whatever finish failed on, nothing was stored: to the caller the
		// storage could not take the commit.
		return fmt.Errorf("sqlite: commit finish: %w: %w", store.ErrUnavailable, err)
	}
}

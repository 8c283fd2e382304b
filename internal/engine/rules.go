package engine

import (
	"context"

	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/store"
)

// Change is a write under examination by the rules.
type Change struct {
	Type     string
	ID       string
	Doc      map[string]any  // the new content; nil for a delete
	Prev     *store.Resource // the current version inside the transaction; nil outside it or when new
	Warnings []fhirerr.Issue // rules append warnings that go back to the client
}

// Rule is a business rule beyond the JSON schema. Prepare runs before the
// storage transaction and should hold the cheap, content-only checks; Commit
// runs inside it, against a consistent view, for checks that depend on other
// stored resources (references, state transitions, double booking). Either
// may be nil. A refusal is a *fhirerr.Error.
type Rule struct {
	Name    string
	Types   []string // empty means every type
	Prepare func(ctx context.Context, c *Change) error
	Commit  func(ctx context.Context, tx store.Tx, c *Change) error
}

func (r Rule) applies(typ string) bool {
	if len(r.Types) == 0 {
		return true
	}
	for _, t := range r.Types {
		if t == typ {
			return true
		}
	}
	return false
}

func (e *Engine) prepareRules(ctx context.Context, c *Change) error {
	for _, r := range e.rules {
		if r.Prepare != nil && r.applies(c.Type) {
			if err := r.Prepare(ctx, c); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *Engine) commitRules(ctx context.Context, tx store.Tx, c *Change) error {
	for _, r := range e.rules {
		if r.Commit != nil && r.applies(c.Type) {
			if err := r.Commit(ctx, tx, c); err != nil {
				return err
			}
		}
	}
	return nil
}

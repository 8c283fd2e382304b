package mongo

import (
	"context"
	"errors"
	"fmt"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/mongo/readconcern"
	"go.mongodb.org/mongo-driver/mongo/readpref"
	"go.mongodb.org/mongo-driver/mongo/writeconcern"

	"github.com/clinic/ehr/internal/store"
)

// unitFailure reports that unit's writes could not be applied: the commit
// runs again without it.
type unitFailure struct {
	unit int
	err  error
}

func (f *unitFailure) Error() string { return fmt.Sprintf("unit %d: %v", f.unit, f.err) }

// finishFailure carries the error of finish, or of applying its writes.
type finishFailure struct{ err error }

func (f *finishFailure) Error() string { return "finish: " + f.err.Error() }

// Unwrap lets MongoDB's WithTransaction see a transient error label.
func (f *finishFailure) Unwrap() error { return f.err }

// txnOptions make the transaction read a majority-committed snapshot and
// commit durably (lungo ignores both).
func txnOptions() *options.TransactionOptions {
	wc := writeconcern.Majority()
	wc.Journal = ptr(true)
	return options.Transaction().
		SetReadConcern(readconcern.Snapshot()).
		SetWriteConcern(wc).
		SetReadPreference(readpref.Primary())
}

// Commit runs the units and finish in one transaction; see store.Store.
func (s *Store) Commit(ctx context.Context, units []func(store.Tx) error, finish func(tx store.Tx, results []error) error) ([]error, error) {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()

	// dropped holds the units whose writes failed to apply, with their
	// error. Each round drops one more unit, so the loop ends.
	dropped := make([]error, len(units))
	for {
		results, err := s.commitOnce(ctx, units, finish, dropped)
		var uf *unitFailure
		if errors.As(err, &uf) {
			dropped[uf.unit] = fmt.Errorf("mongo: %w", classify(uf.err))
			continue
		}
		// on failure nothing was stored, so no unit's result holds
		var ff *finishFailure
		switch {
		case errors.As(err, &ff) && errors.Is(ff.err, store.ErrConflict):
			return nil, fmt.Errorf("mongo: commit: %w", ff.err)
		case errors.As(err, &ff):
			return nil, fmt.Errorf("mongo: commit: %w: %w", store.ErrUnavailable, ff.err)
		case err != nil:
			return nil, fmt.Errorf("mongo: commit: %w", unavailable(err))
		}
		return results, nil
	}
}

// commitOnce runs one transaction. MongoDB's WithTransaction runs fn again
// after transient errors; each run starts from fresh results.
func (s *Store) commitOnce(ctx context.Context, units []func(store.Tx) error, finish func(store.Tx, []error) error, dropped []error) ([]error, error) {
	sess, err := s.client.StartSession()
	if err != nil {
		return nil, fmt.Errorf("start session: %w", err)
	}
	defer sess.EndSession(context.WithoutCancel(ctx))

	var results []error
	_, err = sess.WithTransaction(ctx, func(sc lungo.ISessionContext) (any, error) {
		results = make([]error, len(units))
		for i, unit := range units {
			// lungo ignores contexts: stop here rather than commit the
			// work of a caller that has gone
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if dropped[i] != nil {
				results[i] = dropped[i]
				continue
			}
			t := newTx(s, sess, sc)
			if err := unit(t); err != nil {
				results[i] = err
				continue
			}
			if err := t.apply(sc); err != nil {
				if isTransient(err) || isInfrastructure(err) {
					return nil, err // retried whole by MongoDB, or fatal
				}
				return nil, &unitFailure{unit: i, err: err}
			}
		}
		if finish == nil {
			return nil, ctx.Err()
		}
		t := newTx(s, sess, sc)
		if err := finish(t, results); err != nil {
			return nil, &finishFailure{err: err}
		}
		if err := t.apply(sc); err != nil {
			if isTransient(err) || isInfrastructure(err) {
				return nil, err
			}
			return nil, &finishFailure{err: classify(err)}
		}
		return nil, ctx.Err()
	}, txnOptions())
	return results, err
}

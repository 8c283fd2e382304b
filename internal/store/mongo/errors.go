package mongo

import (
	"context"
	"errors"
	"fmt"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/clinic/ehr/internal/store"
)

// errStale reports an update whose expected previous version was gone: another
// writer got there first.
var errStale = errors.New("the current version changed")

// isConflict reports a lost race with another writer: a duplicate key (on
// MongoDB or lungo) or a stale optimistic update.
func isConflict(err error) bool {
	return mongo.IsDuplicateKeyError(err) || lungo.IsUniquenessError(err) || errors.Is(err, errStale)
}

// isTransient reports an error after which MongoDB asks to run the whole
// transaction again (a write conflict with another transaction, a failover).
func isTransient(err error) bool {
	var le mongo.LabeledError
	return errors.As(err, &le) && le.HasErrorLabel("TransientTransactionError")
}

// isInfrastructure reports errors that no retry without one unit can cure.
func isInfrastructure(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		mongo.IsNetworkError(err) || mongo.IsTimeout(err) || errors.Is(err, lungo.ErrEngineClosed)
}

// unavailable wraps a storage error so that callers see ErrUnavailable.
func unavailable(err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
}

// classify wraps a write error as ErrConflict or ErrUnavailable.
func classify(err error) error {
	if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrUnavailable) {
		return err
	}
	if isConflict(err) {
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	return unavailable(err)
}

package audit

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/clinic/ehr/internal/store"
)

// ErrOutOfRange reports a proof asked for records or sizes the log does not
// have (yet); the API answers 400.
var ErrOutOfRange = errors.New("outside the audit log")

// InclusionProof proves that record index is in the tree of the given size.
// Check it with tlog.CheckRecord against a checkpoint's root for that size.
func InclusionProof(ctx context.Context, st store.Store, index, size int64) (tlog.RecordProof, error) {
	if err := checkSize(ctx, st, size); err != nil {
		return nil, err
	}
	if index < 0 || index >= size {
		return nil, fmt.Errorf("inclusion proof: index %d, tree size %d: %w", index, size, ErrOutOfRange)
	}
	p, err := tlog.ProveRecord(size, index, storeHashes(ctx, st))
	if err != nil {
		return nil, fmt.Errorf("inclusion proof of %d in %d: %w", index, size, err)
	}
	return p, nil
}

// ConsistencyProof proves that the tree of oldSize is a prefix of the tree of
// newSize. Check it with tlog.CheckTree.
func ConsistencyProof(ctx context.Context, st store.Store, oldSize, newSize int64) (tlog.TreeProof, error) {
	if err := checkSize(ctx, st, newSize); err != nil {
		return nil, err
	}
	if oldSize < 1 || oldSize > newSize {
		return nil, fmt.Errorf("consistency proof: sizes %d and %d need 1 <= old <= new: %w", oldSize, newSize, ErrOutOfRange)
	}
	p, err := tlog.ProveTree(newSize, oldSize, storeHashes(ctx, st))
	if err != nil {
		return nil, fmt.Errorf("consistency proof from %d to %d: %w", oldSize, newSize, err)
	}
	return p, nil
}

// checkSize refuses a tree size beyond what is committed: its hashes do not
// exist yet.
func checkSize(ctx context.Context, st store.Store, size int64) error {
	have, err := st.LogSize(ctx)
	if err != nil {
		return fmt.Errorf("read audit log size: %w", err)
	}
	if size < 1 || size > have {
		return fmt.Errorf("tree size %d, log size %d: %w", size, have, ErrOutOfRange)
	}
	return nil
}

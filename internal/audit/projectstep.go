package audit

import (
	"context"
	"fmt"

	"github.com/clinic/ehr/internal/store"
)

// The recorder's batching and projection policy, exported so that a replay
// of its writes (ceiling b of the load tool, internal/load) follows the same
// policy instead of a copy of the numbers that could drift from it.
const (
	// ProjectChunk is how many records one projection commit writes.
	ProjectChunk = projectChunk
	// ProjectionIdleGrace is how long the sequencer waits without requests
	// before it spends its time on the projection.
	ProjectionIdleGrace = idleGrace
	// DefaultMaxProjectionLag is Options.MaxProjectionLag's default: past
	// it, every group commit is followed by projection commits.
	DefaultMaxProjectionLag = defaultMaxProjectionLag
	// GatherBelow and GatherFor: a batch of several requests but fewer than
	// GatherBelow waits GatherFor for the requests in flight behind it.
	GatherBelow = gatherBelow
	GatherFor   = gatherFor
)

// ProjectRange writes the AuditEvent resources of log records [from, to) in
// one commit, as one step of the recorder's projection does. The caller
// keeps the projected records a prefix of the log: from must be the first
// unprojected record (Verify reports a gap otherwise). Records already
// projected by another writer are skipped.
func ProjectRange(ctx context.Context, st store.Store, index IndexFunc, from, to int64) error {
	if from < 0 || to < from {
		return fmt.Errorf("project audit records [%d, %d): not a range", from, to)
	}
	if from == to {
		return nil
	}
	if err := project(ctx, st, index, from, to); err != nil {
		return fmt.Errorf("project audit records [%d, %d): %w", from, to, err)
	}
	return nil
}

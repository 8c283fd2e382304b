package api

import (
	"context"

	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/store"
)

// Auditor is what the HTTP layer needs of the audit recorder: run a write
// with its audit record in one commit, and record the events of a read or a
// refusal. *audit.Recorder is the implementation; benchmarks swap in a
// no-op double to measure what auditing costs.
type Auditor interface {
	Do(ctx context.Context, unit func(store.Tx) error, build func(unitErr error) []audit.Event) error
	Record(ctx context.Context, events ...audit.Event) error
}

var _ Auditor = (*audit.Recorder)(nil)

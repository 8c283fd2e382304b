package api

import (
	"context"

	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/store"
)

// Auditor is what the HTTP layer needs of the audit recorder: run a write
// with its audit record in one commit, record the events of a read or a
// refusal, and bring the AuditEvent resources up to date with the log before
// they are read. *audit.Recorder is the implementation; benchmarks swap in a
// no-op double to measure what auditing costs.
type Auditor interface {
	Do(ctx context.Context, unit func(store.Tx) error, build func(unitErr error) []audit.Event) error
	Record(ctx context.Context, events ...audit.Event) error
	Sync(ctx context.Context) error
}

// auditEventType is the read-only type that holds the audit trail.
const auditEventType = "AuditEvent"

// syncAuditTrail makes the AuditEvents of every request answered so far
// readable before this request reads any (the recorder writes them after the
// log records that they project). It fails with 503 when it cannot.
func (k *call) syncAuditTrail() error {
	if err := k.s.rec.Sync(k.ctx); err != nil {
		return fhirerr.Wrap(fhirerr.Unavailable, err, "the audit trail is unavailable")
	}
	return nil
}

var _ Auditor = (*audit.Recorder)(nil)

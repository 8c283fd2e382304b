//go:build ehrbench

package app

// Benchmark binaries only (go build -tags ehrbench): EHR_BENCH_AUDIT=off
// replaces the audit recorder, so that the load tool can measure what the
// audit trail costs against the same server without it (docs/performance.md).
// Without the tag this file is not compiled and the variable is refused
// (benchaudit_default.go): no production binary can turn auditing off.

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/clinic/ehr/internal/api"
	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/config"
	"github.com/clinic/ehr/internal/store"
)

// checkBenchAudit accepts every value config.Load let through.
func checkBenchAudit(*config.Config) error { return nil }

// benchAuditor returns the recorder, or with EHR_BENCH_AUDIT=off an auditor
// that records nothing, and the func that stops it.
func benchAuditor(cfg *config.Config, st store.Store, rec *audit.Recorder, log *slog.Logger) (api.Auditor, func()) {
	if cfg.BenchAudit != "off" {
		return rec, func() {}
	}
	log.Warn("BENCHMARK BUILD WITH EHR_BENCH_AUDIT=off: NO AUDIT TRAIL IS WRITTEN (no AuditEvent for any read, write or refusal); " +
		"for load tests only, never with real data")
	o := &offAuditor{g: newGroupCommitter(st)}
	return o, o.g.close
}

// offAuditor is audit switched off: writes still commit durably through a
// group commit, as the recorder commits them, but without AuditEvents;
// reads and refusals record nothing.
type offAuditor struct{ g *groupCommitter }

func (o *offAuditor) Do(ctx context.Context, unit func(store.Tx) error, build func(unitErr error) []audit.Event) error {
	var unitErr error
	if unit != nil {
		var err error
		if unitErr, err = o.g.do(unit); err != nil {
			return fmt.Errorf("%w: %w", audit.ErrUnavailable, err)
		}
	}
	if build != nil {
		build(unitErr) // the handler learns its outcome through build; the events are dropped
	}
	if err := ctx.Err(); err != nil {
		return err // as the recorder: committed, but the caller has gone
	}
	return unitErr
}

func (o *offAuditor) Record(context.Context, ...audit.Event) error { return nil }

// Sync has nothing to wait for: no AuditEvent is ever written.
func (o *offAuditor) Sync(context.Context) error { return nil }

var _ api.Auditor = (*offAuditor)(nil)

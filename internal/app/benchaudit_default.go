//go:build !ehrbench

package app

import (
	"fmt"
	"log/slog"

	"github.com/clinic/ehr/internal/api"
	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/config"
	"github.com/clinic/ehr/internal/store"
)

// checkBenchAudit refuses EHR_BENCH_AUDIT, whatever its value: a binary
// built without the ehrbench tag always keeps its audit trail, and a stray
// variable must stop it rather than be ignored (benchaudit_ehrbench.go).
func checkBenchAudit(cfg *config.Config) error {
	if cfg.BenchAudit != "" {
		return fmt.Errorf("EHR_BENCH_AUDIT=%s refused: this binary was built without the ehrbench tag and always keeps the audit trail "+
			"(unset EHR_BENCH_AUDIT, or build a benchmark binary with go build -tags ehrbench)", cfg.BenchAudit)
	}
	return nil
}

// benchAuditor is the recorder itself: production binaries have no other.
func benchAuditor(_ *config.Config, _ store.Store, rec *audit.Recorder, _ *slog.Logger) (api.Auditor, func()) {
	return rec, func() {}
}

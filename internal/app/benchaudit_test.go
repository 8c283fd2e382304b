package app_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/clinic/ehr/internal/app"
	"github.com/clinic/ehr/internal/config"
)

// newBenchAuditServer starts the server over a fresh SQLite file with
// EHR_BENCH_AUDIT=audit, logging to logw. It returns app.New's error, and
// the store's path so that a test can tell whether it was ever opened.
func newBenchAuditServer(t *testing.T, audit string, logw io.Writer) (*server, string, error) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "ehr.db")
	env := map[string]string{
		"EHR_STORE": "sqlite:" + path, "EHR_AUTH_HS256_SECRET": testSecret,
		"EHR_DATA_DIR": dir, "EHR_RATE_LIMIT": "0", "EHR_BENCH_AUDIT": audit,
	}
	cfg, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(logw, nil)))
	if err != nil {
		return nil, path, err
	}
	return serve(t, a), path, nil
}

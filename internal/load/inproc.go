package load

// This file hosts the server in the tool's own process, twice over one
// store: as internal/app wires it (audit on), and with the same engine and
// verifier behind a no-op auditor (audit off). It is the bench's stand-in
// until the server has a bench-only switch (docs/performance.md proposes
// EHR_BENCH_AUDIT=off in internal/app), and the place to take CPU and
// allocation profiles of the whole request path. It is the one file of the
// tool that builds an api.Server itself; delete it when the switch lands.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/clinic/ehr/internal/api"
	"github.com/clinic/ehr/internal/app"
	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/config"
	"github.com/clinic/ehr/internal/store"
)

// InProcess is the server hosted in this process, with audit on and off.
type InProcess struct {
	App      *app.App
	AuditOn  string // base URL of the server as wired by internal/app
	AuditOff string // base URL of the same server behind a no-op auditor
	off      *offAuditor
	servers  []*http.Server
}

// StartInProcess wires the server over the SQLite file at storePath with
// the given settings (EHR_* variables; the tool's own defaults first).
func StartInProcess(ctx context.Context, storePath, dataDir, secret string, env map[string]string, logw io.Writer) (*InProcess, error) {
	vars := map[string]string{
		"EHR_STORE": "sqlite:" + storePath, "EHR_AUTH_HS256_SECRET": secret,
		"EHR_DATA_DIR": dataDir, "EHR_RATE_LIMIT": "0",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(nil, func(k string) string { return vars[k] })
	if err != nil {
		return nil, fmt.Errorf("in-process server: %w", err)
	}
	if logw == nil {
		logw = io.Discard
	}
	log := slog.New(slog.NewJSONHandler(logw, nil)) // the cost of formatting the access log stays in
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return nil, fmt.Errorf("in-process server: %w", err)
	}
	p := &InProcess{App: a, off: &offAuditor{g: newGroupCommitter(a.Store, nil)}}
	offSrv := api.New(api.Config{
		Engine: a.Engine, Verifier: a.Verifier, Recorder: p.off, Logger: log,
		BaseURL: cfg.BaseURL, MaxBodyBytes: cfg.MaxBodyBytes,
	})
	for _, h := range []struct {
		url     *string
		handler http.Handler
	}{{&p.AuditOn, a.Handler()}, {&p.AuditOff, offSrv.Handler()}} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			_ = p.Close(ctx)
			return nil, fmt.Errorf("in-process server: listen: %w", err)
		}
		srv := &http.Server{Handler: h.handler, ReadHeaderTimeout: 10 * time.Second}
		p.servers = append(p.servers, srv)
		go func() { _ = srv.Serve(l) }()
		*h.url = "http://" + l.Addr().String()
	}
	return p, nil
}

// Close stops both servers, flushes the recorder and closes the store.
func (p *InProcess) Close(ctx context.Context) error {
	var errs []error
	for _, s := range p.servers {
		errs = append(errs, s.Shutdown(ctx))
	}
	p.off.g.Close()
	errs = append(errs, p.App.Close(ctx))
	return errors.Join(errs...)
}

// offAuditor is audit switched off: writes still commit durably through
// the same group commit, reads and refusals record nothing.
type offAuditor struct{ g *groupCommitter }

func (o *offAuditor) Do(_ context.Context, unit func(store.Tx) error, build func(error) []audit.Event) error {
	if unit == nil {
		build(nil) // the handler learns its outcome through build
		return nil
	}
	unitErr, err := o.g.Do(unit, 0)
	if err != nil {
		return fmt.Errorf("%w: %w", audit.ErrUnavailable, err)
	}
	build(unitErr)
	return unitErr
}

func (o *offAuditor) Record(context.Context, ...audit.Event) error { return nil }

// Sync has nothing to wait for: no AuditEvents are written.
func (o *offAuditor) Sync(context.Context) error { return nil }

var _ api.Auditor = (*offAuditor)(nil)

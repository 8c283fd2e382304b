package load

// This file hosts the server in the tool's own process, as internal/app
// wires it: the place to take CPU and allocation profiles of the whole
// request path, server and tool together. With EHR_BENCH_AUDIT=off in env
// the audit trail is off, which internal/app honours only in a tool built
// with -tags ehrbench (scripts/bench.sh builds it so).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/clinic/ehr/internal/app"
	"github.com/clinic/ehr/internal/config"
)

// InProcess is the server hosted in this process.
type InProcess struct {
	App    *app.App
	URL    string // base URL
	server *http.Server
}

// StartInProcess wires the server over the SQLite file at storePath with
// the given settings (EHR_* variables; the tool's own defaults first).
func StartInProcess(ctx context.Context, storePath, dataDir, secret string, env map[string]string, logw io.Writer) (*InProcess, error) {
	vars := map[string]string{
		"EHR_STORE": "sqlite:" + storePath, "EHR_AUTH_HS256_SECRET": secret,
		"EHR_DATA_DIR": dataDir, "EHR_RATE_LIMIT": "0", "EHR_BENCH_STATIC_ROUTE": "1",
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, errors.Join(fmt.Errorf("in-process server: listen: %w", err), a.Close(ctx))
	}
	p := &InProcess{App: a, URL: "http://" + l.Addr().String(),
		server: &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = p.server.Serve(l) }()
	return p, nil
}

// Close stops the server, flushes the recorder and closes the store.
func (p *InProcess) Close(ctx context.Context) error {
	return errors.Join(p.server.Shutdown(ctx), p.App.Close(ctx))
}

// Package app wires the server's parts together from a Config: storage,
// search registry, token verifier, audit recorder, engine and HTTP layer.
// ehrd and the end-to-end tests build the server the same way through it.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/api"
	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/auth"
	"github.com/clinic/ehr/internal/config"
	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/rules"
	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
	"github.com/clinic/ehr/internal/store/mongo"
	"github.com/clinic/ehr/internal/store/sqlite"
)

// App is a wired server.
type App struct {
	Store    store.Store
	Engine   *engine.Engine
	Recorder *audit.Recorder
	Verifier *auth.Verifier
	Server   *api.Server
	Log      *slog.Logger

	stopBench func() // stops a benchmark auditor (benchaudit_*.go)
}

// New builds the server. It refuses to start without a key source (unless
// quick-start mode is asked for), without a readable audit log, or when a
// search parameter cannot be compiled.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*App, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := checkBenchAudit(cfg); err != nil {
		return nil, err
	}
	verifier, err := newVerifier(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	if err := fhir.Warm(); err != nil {
		verifier.Close()
		return nil, fmt.Errorf("load the FHIR schema: %w", err)
	}
	reg, errs := search.NewRegistry(typeNames())
	for _, e := range errs {
		// The spec's expressions we cannot evaluate are named, never skipped silently.
		log.Warn("search parameter not supported", "err", e)
	}
	audit.RestrictSearch(reg)
	st, err := OpenStore(ctx, cfg.Store)
	if err != nil {
		verifier.Close()
		return nil, err
	}
	signer, _, err := audit.LoadOrCreateSigner(cfg.AuditKeyFile, cfg.AuditOrigin)
	if err != nil {
		verifier.Close()
		_ = st.Close()
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	metrics := api.NewMetrics(nil)
	auditM := newAuditMetrics(metrics.Registry())
	rec, err := audit.NewRecorder(ctx, st, audit.Options{
		Signer:   signer,
		Index:    audit.Index(reg),
		NewID:    engine.NewID,
		Logger:   log,
		OnCommit: auditM.observe,
	})
	if err != nil {
		verifier.Close()
		_ = st.Close()
		return nil, fmt.Errorf("start the audit recorder: %w", err)
	}
	watchRecorder(metrics.Registry(), rec)
	eng := engine.New(engine.Config{Store: newTimedStore(st, metrics.Registry()), Search: reg, Rules: rules.All()})
	auditor, stopBench := benchAuditor(cfg, st, rec, log)
	srv := api.New(api.Config{
		Metrics:      metrics,
		Engine:       eng,
		Verifier:     verifier,
		Recorder:     auditor,
		Logger:       log,
		BaseURL:      cfg.BaseURL,
		MaxBodyBytes: cfg.MaxBodyBytes,
		Signer:       signer,
		// Bundle size limit (EHR_MAX_BUNDLE_ENTRIES; 413 beyond).
		MaxBundleEntries: cfg.MaxBundleEntries,
		// HTTP hardening (docs/security.md).
		CORSOrigins:    cfg.CORSOrigins,
		TrustedProxies: cfg.TrustedProxies,
		RateLimit:      cfg.RateLimit,
		RateBurst:      cfg.RateBurst,
		// GET /bench/static for the load tool (EHR_BENCH_STATIC_ROUTE).
		BenchStaticRoute: cfg.BenchStaticRoute,
		Ready: func(r *http.Request) error {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			defer cancel()
			return st.Ping(ctx)
		},
	})
	return &App{Store: st, Engine: eng, Recorder: rec, Verifier: verifier, Server: srv, Log: log, stopBench: stopBench}, nil
}

// Handler is the HTTP handler of the whole server.
func (a *App) Handler() http.Handler { return a.Server.Handler() }

// Close flushes the audit recorder and closes storage.
func (a *App) Close(ctx context.Context) error {
	var errs []error
	a.stopBench()
	if err := a.Recorder.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("flush audit recorder: %w", err))
	}
	if err := a.Store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close store: %w", err))
	}
	a.Verifier.Close()
	return errors.Join(errs...)
}

func typeNames() []string {
	var names []string
	for _, t := range fhir.Types() {
		names = append(names, t.Name)
	}
	return names
}

// OpenStore opens the backend that the storage URL's scheme names.
func OpenStore(ctx context.Context, url string) (store.Store, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		st, err := sqlite.Open(path, sqlite.Options{})
		if err != nil {
			return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
		}
		return st, nil
	case strings.HasPrefix(url, "mongodb://"), strings.HasPrefix(url, "mongodb+srv://"), strings.HasPrefix(url, "lungo:"):
		st, err := mongo.Open(ctx, url, mongo.Options{})
		if err != nil {
			return nil, fmt.Errorf("open mongodb store: %w", err)
		}
		return st, nil
	}
	return nil, fmt.Errorf("EHR_STORE %q: unknown scheme (want sqlite:, mongodb://, mongodb+srv:// or lungo:)", redactURL(url))
}

// redactURL hides credentials in a storage URL before it reaches a message.
func redactURL(u string) string {
	if at := strings.LastIndex(u, "@"); at > 0 {
		if scheme := strings.Index(u, "://"); scheme > 0 && scheme < at {
			return u[:scheme+3] + "…" + u[at:]
		}
	}
	return u
}

// newVerifier builds the token verifier from the configured key sources, or
// in quick-start mode from a secret generated once and kept in the data
// directory.
func newVerifier(ctx context.Context, cfg *config.Config, log *slog.Logger) (*auth.Verifier, error) {
	ac := auth.Config{
		HS256Secret:   []byte(cfg.HS256Secret),
		PublicKeyFile: cfg.PublicKeyFile,
		JWKSURL:       cfg.JWKSURL,
		Issuer:        cfg.Issuer,
		Audience:      cfg.Audience,
		ClockSkew:     cfg.ClockSkew,
		MaxLifetime:   cfg.MaxLifetime,
	}
	if len(ac.HS256Secret) == 0 && ac.PublicKeyFile == "" && ac.JWKSURL == "" {
		if !cfg.QuickStart {
			return nil, errors.New("no token key source configured: set EHR_AUTH_HS256_SECRET, EHR_AUTH_PUBLIC_KEY_FILE or EHR_AUTH_JWKS_URL (or EHR_QUICKSTART=true for a local trial)")
		}
		secret, created, err := QuickStartSecret(cfg)
		if err != nil {
			return nil, err
		}
		ac.HS256Secret = secret
		log.Warn("QUICK-START MODE: tokens are checked against a generated HS256 secret kept on disk; never use this in production",
			"secret_file", cfg.QuickStartSecretFile(), "created", created)
	}
	v, err := auth.NewVerifier(ctx, ac)
	if err != nil {
		return nil, fmt.Errorf("token verifier: %w", err)
	}
	return v, nil
}

// QuickStartSecret reads the quick-start secret, creating it on first use.
func QuickStartSecret(cfg *config.Config) (secret []byte, created bool, err error) {
	path := cfg.QuickStartSecretFile()
	if b, err := os.ReadFile(path); err == nil {
		s := strings.TrimSpace(string(b))
		if len(s) < 32 {
			return nil, false, fmt.Errorf("quick-start secret in %s is too short", path)
		}
		return []byte(s), false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("read quick-start secret: %w", err)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, false, fmt.Errorf("generate quick-start secret: %w", err)
	}
	s := hex.EncodeToString(b[:])
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("create data directory: %w", err)
	}
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return nil, false, fmt.Errorf("write quick-start secret: %w", err)
	}
	return []byte(s), true, nil
}

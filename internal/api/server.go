// Package api is the HTTP layer: the Gin route table, request parsing, the
// FHIR headers (ETag, If-Match, Prefer…), Bundles and paging links, and the
// mapping of errors to OperationOutcome. The FHIR semantics live in package
// engine; this package only translates between HTTP and it.
package api

import (
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/mod/sumdb/note"

	"github.com/clinic/ehr/internal/auth"
	"github.com/clinic/ehr/internal/engine"
)

// Config wires the HTTP layer.
type Config struct {
	Engine   *engine.Engine
	Verifier *auth.Verifier
	Recorder Auditor
	Logger   *slog.Logger
	Metrics  *Metrics // nil: a private registry

	// BaseURL is the public base of the FHIR API (e.g. https://ehr.example.org/fhir).
	// Empty: derived from each request's Host.
	BaseURL string
	// MaxBodyBytes caps request bodies (413 beyond). Default 8 MiB.
	MaxBodyBytes int64
	// MaxBundleEntries caps the entries of a batch or transaction (413
	// beyond). Default 1,000.
	MaxBundleEntries int
	// ServerName is the audit source observer. Default "ehrd".
	ServerName string
	// Signer signs audit checkpoints.
	Signer note.Signer
	// Ready reports storage health for /readyz.
	Ready func(r *http.Request) error

	// CORSOrigins are the exact browser origins (scheme://host[:port]) that
	// may call the API cross-origin. Empty: none; preflights get 403.
	CORSOrigins []string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed for the client address (audit trail, rate limiting).
	TrustedProxies []netip.Prefix
	// RateLimit is the sustained requests per second per client, RateBurst
	// the bucket size (ratelimit.go). 0: no limiting.
	RateLimit float64
	RateBurst int

	// BenchStaticRoute serves GET /bench/static (benchstatic.go), the load
	// tool's ceiling a. Off in production.
	BenchStaticRoute bool
}

// Server is the HTTP front of the EHR.
type Server struct {
	cfg     Config
	eng     *engine.Engine
	rec     Auditor
	log     *slog.Logger
	metrics *Metrics
	router  *gin.Engine
	started time.Time
}

// New builds the server and its route table.
func New(cfg Config) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 8 << 20
	}
	if cfg.MaxBundleEntries <= 0 {
		cfg.MaxBundleEntries = 1000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = "ehrd"
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	s := &Server{cfg: cfg, eng: cfg.Engine, rec: cfg.Recorder, log: cfg.Logger, metrics: cfg.Metrics, started: time.Now()}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = false
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.Use(s.requestID, s.securityHeaders, s.accessLog, s.recoverPanics, s.realClient, s.bearerFromParams, s.cors(), s.rateLimit())
	s.routes(r)
	s.router = r
	return s
}

// Handler returns the http.Handler serving every route.
func (s *Server) Handler() http.Handler { return s.router }

// routes is the whole route table.
func (s *Server) routes(r *gin.Engine) {
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", gin.WrapH(s.metrics.Handler()))
	s.openAPIRoutes(r) // /openapi.json, /openapi.yaml, /docs/ (openapi.go)

	f := r.Group("/fhir")
	f.GET("/metadata", s.capabilities)
	f.POST("", s.bundle)
	f.GET("/:type", s.fhir("search-type", "E", auth.SearchType, s.search))
	f.POST("/:type/_search", s.fhir("search-type", "E", auth.SearchType, s.search))
	f.POST("/:type", s.fhir("create", "C", auth.Create, s.create))
	f.GET("/:type/:id", s.fhir("read", "R", auth.Read, s.read))
	f.PUT("/:type/:id", s.fhir("update", "U", auth.Update, s.update))
	f.DELETE("/:type/:id", s.fhir("delete", "D", auth.Delete, s.delete))
	f.PUT("/:type", s.fhir("update", "U", auth.Update, s.conditionalUpdate))
	f.DELETE("/:type", s.fhir("delete", "D", auth.Delete, s.conditionalDelete))
	f.GET("/:type/:id/$everything", s.fhir("operation", "R", auth.Read, s.everything))
	f.GET("/:type/:id/_history", s.fhir("history-instance", "R", auth.HistoryInstance, s.history))
	f.GET("/:type/:id/_history/:vid", s.fhir("vread", "R", auth.VRead, s.vread))
	f.GET("/:type/:id/$accounting", s.accounting)

	// The audit log's proofs (CONTRACT.md "Audit"), for holders of an
	// AuditEvent read scope; reading them is audited like any read.
	a := r.Group("/audit")
	a.GET("/checkpoint", s.auditCall(s.checkpoint))
	a.GET("/proof/inclusion", s.auditCall(s.inclusionProof))
	a.GET("/proof/consistency", s.auditCall(s.consistencyProof))
	s.benchRoutes(r) // GET /bench/static when BenchStaticRoute (benchstatic.go)
	r.NoRoute(s.noRoute)
}

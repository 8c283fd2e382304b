package importer

import (
	"errors"
	"net/http"
	"strings"
	"time"
)

// Options configure an import.
type Options struct {
	Server string      // FHIR base URL, e.g. http://localhost:8080/fhir
	Tokens TokenSource // required

	Concurrency int    // batches in flight; default 4
	BatchSize   int    // entries per batch Bundle; default 200
	MaxBytes    int    // request body cap, below the server's limit; default 4 MiB
	StatePath   string // journal for resuming; "" for none

	// SkipUnchanged compares every resource with the server's copy before
	// writing it, so that importing the same data again, even without the
	// state file, adds no versions. It costs a search per batch.
	SkipUnchanged bool

	Retries  int           // attempts per request on 429, 502–504 and network errors; default 8
	Timeout  time.Duration // per request; default 5 minutes
	Progress Progress      // nil: none
	HTTP     *http.Client  // nil: one sized for Concurrency

	// Drain, when closed, stops the import gracefully: no new batch is
	// started, the batches in flight are sent and answered, and Run returns
	// ErrStopped. Cancelling Run's context instead stops at once, leaving
	// the batches in flight for the resume to compare.
	Drain <-chan struct{}
}

// Progress follows an import, in resources.
type Progress interface {
	SetTotal(n int64) // called again when an estimate firms up
	Add(n int)
}

const (
	defaultConcurrency = 4
	defaultBatchSize   = 200
	defaultMaxBytes    = 4 << 20
	defaultRetries     = 8
	defaultTimeout     = 5 * time.Minute
)

func (o Options) withDefaults() (Options, error) {
	o.Server = strings.TrimRight(o.Server, "/")
	if o.Server == "" {
		return o, errors.New("no server URL")
	}
	if o.Tokens == nil {
		return o, errors.New("no token: give a token or the shared secret")
	}
	if o.Concurrency <= 0 {
		o.Concurrency = defaultConcurrency
	}
	if o.BatchSize <= 0 {
		o.BatchSize = defaultBatchSize
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = defaultMaxBytes
	}
	if o.Retries <= 0 {
		o.Retries = defaultRetries
	}
	if o.Timeout <= 0 {
		o.Timeout = defaultTimeout
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{
			Timeout: o.Timeout,
			Transport: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				MaxIdleConns:        2 * o.Concurrency,
				MaxIdleConnsPerHost: 2 * o.Concurrency,
				IdleConnTimeout:     90 * time.Second,
			},
		}
	}
	return o, nil
}

// Result sums up an import.
type Result struct {
	Files     int
	Created   int // new resources
	Updated   int // new versions of existing resources
	Unchanged int // already stored identically (compared, or matched by a conditional create)
	Skipped   int // done by an earlier run, per the state file
	Failed    int
	// NotIdempotent counts plain creates: resources with neither an id nor
	// an identifier, which a retry could store twice.
	NotIdempotent int
	Failures      []Failure // the first maxFailures
	Elapsed       time.Duration
}

// maxFailures bounds the failures kept for the report.
const maxFailures = 1000

// Failure is one resource the server refused, or that could not be read.
type Failure struct {
	File    string
	Item    int    // line (NDJSON) or entry (Bundle), from 1
	Ref     string // Type/id, or the request
	Status  int    // HTTP status; 0 when it was never sent
	Message string // the OperationOutcome, condensed
}

// Sent is the number of resources the import handled in this run.
func (r *Result) Sent() int { return r.Created + r.Updated + r.Unchanged + r.Failed }

// PerSecond is the rate of this run, in resources handled per second.
func (r *Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Sent()) / r.Elapsed.Seconds()
}

package app

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/store"
)

// auditMetrics observe the group commits of the audit recorder.
type auditMetrics struct {
	batch   prometheus.Histogram
	latency prometheus.Histogram
	failed  prometheus.Counter
}

func newAuditMetrics(reg *prometheus.Registry) *auditMetrics {
	m := &auditMetrics{
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ehr_audit_commit_batch_size", Help: "Requests sharing one audit group commit (one fsync).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ehr_audit_commit_duration_seconds", Help: "Duration of one audit group commit.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ehr_audit_commit_failures_total", Help: "Audit group commits that failed (their requests got 503).",
		}),
	}
	reg.MustRegister(m.batch, m.latency, m.failed)
	return m
}

// watchRecorder exports what waits on the audit sequencer: requests for the
// next group commit, and audit records for their AuditEvent resource
// (internal/audit/projection.go), which AuditEvent searches wait for.
func watchRecorder(reg *prometheus.Registry, rec *audit.Recorder) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ehr_audit_queue_depth", Help: "Requests waiting for the next audit group commit.",
		}, func() float64 { return float64(rec.Stats().Queued) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ehr_audit_projection_lag", Help: "Audit records whose searchable AuditEvent is not written yet.",
		}, func() float64 { return float64(rec.Stats().Lag) }),
	)
}

func (m *auditMetrics) observe(requests int, took time.Duration, err error) {
	m.batch.Observe(float64(requests))
	m.latency.Observe(took.Seconds())
	if err != nil {
		m.failed.Inc()
	}
}

// timedStore measures every storage call, by operation.
type timedStore struct {
	store.Store
	latency *prometheus.HistogramVec
	errors  *prometheus.CounterVec
}

func newTimedStore(st store.Store, reg *prometheus.Registry) *timedStore {
	t := &timedStore{
		Store: st,
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ehr_store_duration_seconds", Help: "Storage call latency by operation.",
			Buckets: []float64{.0001, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"op"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ehr_store_errors_total", Help: "Storage calls that failed, by operation.",
		}, []string{"op"}),
	}
	reg.MustRegister(t.latency, t.errors)
	return t
}

func (t *timedStore) observe(op string, start time.Time, err error) {
	t.latency.WithLabelValues(op).Observe(time.Since(start).Seconds())
	if err != nil {
		t.errors.WithLabelValues(op).Inc()
	}
}

func (t *timedStore) Read(ctx context.Context, typ, id string) (*store.Resource, error) {
	start := time.Now()
	r, err := t.Store.Read(ctx, typ, id)
	if isNotFound(err) {
		t.observe("read", start, nil) // a miss is an answer, not a failure
	} else {
		t.observe("read", start, err)
	}
	return r, err
}

func (t *timedStore) Search(ctx context.Context, q *store.Query) (*store.SearchResult, error) {
	start := time.Now()
	r, err := t.Store.Search(ctx, q)
	t.observe("search", start, err)
	return r, err
}

func (t *timedStore) Commit(ctx context.Context, units []func(store.Tx) error, finish func(store.Tx, []error) error) ([]error, error) {
	start := time.Now()
	r, err := t.Store.Commit(ctx, units, finish)
	t.observe("commit", start, err)
	return r, err
}

// Unwrap gives tools that need the backend itself (ehrctl backup, tests) the
// store under the measurements.
func (t *timedStore) Unwrap() store.Store { return t.Store }

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

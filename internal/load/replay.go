package load

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/store"
	"github.com/clinic/ehr/internal/store/sqlite"
)

// Replay is ceiling b: the rows the server writes for create-vitals and
// for a lab transaction, put straight into a SQLite store with the server's
// commit strategy (many goroutines submitting, one committer, batches of
// up to 256, durable commits) and its audit writes: the log records the
// recorder appends in each group commit (the AuditEvent's body, leaf and
// tree hashes), and afterwards the AuditEvent resources with their index
// entries, projected by the same committer under the recorder's policy.
// Rows are built once by the engine and the recorder's rendering and
// stamped out with fresh ids, so the ratio of a workload to it is the cost
// of HTTP, JSON, validation, rules, auth and audit rendering.
type Replay struct {
	st      *sqlite.Store
	g       *groupCommitter
	log     *logAppender
	vital   *rowTemplate
	spec    *rowTemplate
	labs    []*rowTemplate
	auditEv *rowTemplate
}

// OpenReplay opens (or creates) the store at path, with the server's
// options, and builds the row templates.
func OpenReplay(ctx context.Context, path string) (*Replay, error) {
	if err := fhir.Warm(); err != nil {
		return nil, fmt.Errorf("replay: load the FHIR schema: %w", err)
	}
	st, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	r := &Replay{st: st}
	if err := r.build(ctx); err != nil {
		_ = st.Close()
		return nil, err
	}
	reg, err := NewRegistry()
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	if r.log, err = newLogAppender(ctx, st, audit.Index(reg)); err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("replay: %w", err)
	}
	r.g = newGroupCommitter(st, r.appendAudit, r.log, audit.DefaultMaxProjectionLag)
	return r, nil
}

// build makes the templates: a heart rate, and a lab panel's Specimen and
// results, as the engine stores them.
func (r *Replay) build(ctx context.Context) error {
	eng, err := NewEngine(r.st)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(3, 3))
	const patient = "p-000000"
	now := time.Now().UTC().Truncate(time.Second)
	if r.vital, err = engineRow(ctx, eng, "Observation", VitalDoc(rng, heartRate, patient, "", now), nil); err != nil {
		return err
	}
	b, _ := LabBundle(rng, patient, now)
	entries := b["entry"].([]any)
	spec := entries[0].(doc)["resource"].(doc)
	if r.spec, err = engineRow(ctx, eng, "Specimen", spec, nil); err != nil {
		return err
	}
	specRef := "Specimen/" + r.spec.w.Resource.ID
	exists := map[string]string{specRef: string(r.spec.w.Resource.Body)}
	for _, e := range entries[1:] {
		obs := e.(doc)["resource"].(doc)
		obs["specimen"] = doc{"reference": specRef} // as the transaction resolves its urn:uuid
		t, err := engineRow(ctx, eng, "Observation", obs, exists)
		if err != nil {
			return err
		}
		r.labs = append(r.labs, t)
	}
	entity := "Observation/" + r.vital.w.Resource.ID + "/_history/1"
	stamp := time.Now().UTC().Truncate(time.Millisecond)
	r.auditEv, err = auditRow(auditEvent("create", entity, patient, stamp), engine.NewID(), stamp)
	return err
}

// appendAudit is the committer's finish: each request's audit records.
func (r *Replay) appendAudit(tx store.Tx, batch []*pending) error {
	var rows []store.Write
	for _, p := range batch {
		for range p.events {
			rows = append(rows, r.auditEv.instance(engine.NewID()))
		}
	}
	return r.log.append(tx, rows)
}

// Lag is how many audit records wait for their AuditEvent resource; the
// error is the projection's, once it failed (it is not retried).
func (r *Replay) Lag() (int64, error) {
	if err := r.g.BacklogErr(); err != nil {
		return 0, err
	}
	return r.log.lag(), nil
}

// WaitCaughtUp waits until every audit record has its AuditEvent (the
// committer projects them once idle, as the server does) and reports how
// many waited and how long it took.
func (r *Replay) WaitCaughtUp(ctx context.Context) (records int64, took time.Duration, err error) {
	return waitCaughtUp(ctx, func(context.Context) (int64, error) { return r.Lag() }, catchUpLimit)
}

// Close stops the committer (after it has projected what waits) and closes
// the store.
func (r *Replay) Close() error {
	r.g.Close()
	if err := r.st.Close(); err != nil {
		return fmt.Errorf("replay: close: %w", err)
	}
	return nil
}

// MeanBatch is requests per commit so far.
func (r *Replay) MeanBatch() float64 { return r.g.MeanBatch() }

// Workload returns the replay of a server workload: "create-vitals" (one
// Observation and one AuditEvent per request) or "transaction" (a Specimen,
// 20 results, and 22 AuditEvents: the transaction's and one per entry).
func (r *Replay) Workload(name string) (func(worker int) Op, error) {
	switch name {
	case "create-vitals":
		return func(int) Op {
			return func(ctx context.Context, _ *rand.Rand) Result {
				w := r.vital.instance(engine.NewID())
				err := errors.Join(r.g.Do(func(tx store.Tx) error { return tx.Put(w) }, 1))
				return Result{Kind: "replay/create-vitals", Units: 1, Err: err}
			}
		}, nil
	case "transaction":
		return func(int) Op {
			return func(ctx context.Context, _ *rand.Rand) Result {
				rows := []store.Write{r.spec.instance(engine.NewID())}
				for _, t := range r.labs {
					rows = append(rows, t.instance(engine.NewID()))
				}
				err := errors.Join(r.g.Do(func(tx store.Tx) error {
					for _, w := range rows {
						if err := tx.Put(w); err != nil {
							return err
						}
					}
					return nil
				}, len(rows)+1))
				return Result{Kind: "replay/transaction", Units: len(rows), Err: err}
			}
		}, nil
	}
	return nil, fmt.Errorf("replay: no replay of workload %q (want create-vitals or transaction)", name)
}

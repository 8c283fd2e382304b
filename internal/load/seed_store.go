package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/rules"
	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
	"github.com/clinic/ehr/internal/store/sqlite"
)

// seedBatch is how many resources one seeding commit carries: large, since
// a bulk load has no one waiting on a reply.
const seedBatch = 500

// SeedStore writes the dataset straight into the SQLite file at path
// through the engine: the same validation, business rules, index
// extraction and rows as a create over HTTP, without HTTP and without
// AuditEvents (a bulk load, like a restore, is not a clinical interaction).
// The server must not be running on the file.
func SeedStore(ctx context.Context, path string, d *Dataset, log io.Writer) error {
	if err := d.Validate(); err != nil {
		return err
	}
	if err := fhir.Warm(); err != nil {
		return fmt.Errorf("seed: load the FHIR schema: %w", err)
	}
	st, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	eng, err := NewEngine(st)
	if err != nil {
		_ = st.Close()
		return err
	}
	for stage, what := range []string{"patients", "observations and appointments"} {
		if err := seedStage(ctx, eng, st, d, stage, newProgress(log, what, d.stageSize(stage))); err != nil {
			_ = st.Close()
			return err
		}
	}
	if err := st.Close(); err != nil {
		return fmt.Errorf("seed: close %s: %w", path, err)
	}
	return nil
}

// NewEngine builds an engine over st as internal/app does: every served
// type's search parameters and every business rule.
func NewEngine(st store.Store) (*engine.Engine, error) {
	reg, err := NewRegistry()
	if err != nil {
		return nil, err
	}
	return engine.New(engine.Config{Store: st, Search: reg, Rules: rules.All()}), nil
}

// NewRegistry is the search-parameter registry of every served type.
func NewRegistry() (*search.Registry, error) {
	var names []string
	for _, t := range fhir.Types() {
		names = append(names, t.Name)
	}
	reg, errs := search.NewRegistry(names)
	if reg == nil {
		return nil, fmt.Errorf("search registry: %w", errors.Join(errs...))
	}
	// As the server's: the AuditEvent parameters it indexes, and no
	// parameter it cannot evaluate either.
	audit.RestrictSearch(reg)
	return reg, nil
}

// seedStage prepares writes on every core and commits them in batches on
// one goroutine, as the server's group commit does.
func seedStage(ctx context.Context, eng *engine.Engine, st store.Store, d *Dataset, stage int, p *progress) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan seedJob, 1024)
	writes := make(chan *engine.Write, 1024)
	go d.emit(ctx, stage, jobs)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for j := range jobs {
				typ, id, body := d.jobDoc(j)
				m, err := asServerSees(body)
				if err != nil {
					cancel(fmt.Errorf("seed %s/%s: %w", typ, id, err))
					return
				}
				w, err := eng.Update(ctx, typ, id, m, 0)
				if err != nil {
					cancel(fmt.Errorf("seed %s/%s: %w", typ, id, err))
					return
				}
				select {
				case writes <- w:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() { wg.Wait(); close(writes) }()

	batch := make([]*engine.Write, 0, seedBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		units := make([]func(store.Tx) error, len(batch))
		for i, w := range batch {
			units[i] = w.Unit
		}
		results, err := st.Commit(ctx, units, nil)
		if err != nil {
			return fmt.Errorf("seed commit: %w", err)
		}
		for i, err := range results {
			if err != nil {
				return fmt.Errorf("seed %s/%s: %w", batch[i].Type, batch[i].ID, err)
			}
		}
		p.add(len(batch))
		batch = batch[:0]
		return nil
	}
	for w := range writes {
		batch = append(batch, w)
		if len(batch) == seedBatch {
			if err := flush(); err != nil {
				cancel(err)
				break
			}
		}
	}
	for range writes { // drain, so that the workers can stop
	}
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return flush()
}

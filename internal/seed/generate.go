package seed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// Types are the generated resource types in dependency order: a resource
// refers only to types before its own (and to Practitioner, Location and
// MedicationRequest, which the server does not hold).
var Types = []string{"Patient", "Specimen", "Observation", "MedicationAdministration", "Appointment"}

// Encoded is one patient's resources as JSON, in dependency order.
type Encoded struct {
	N         int // the patient's number, from 1
	Resources []EncodedResource
}

// EncodedResource is one resource as JSON, without a trailing newline.
type EncodedResource struct {
	Type, ID string
	JSON     []byte
}

// Writer stores generated patients. WritePatient is called once per
// patient, in order, from one goroutine.
type Writer interface {
	WritePatient(e *Encoded) error
	Close() error
}

// Stats sums up a run.
type Stats struct {
	Patients  int
	Resources map[string]int // by type
	Bytes     int64
	Elapsed   time.Duration
}

// Total is the number of resources written.
func (s Stats) Total() int {
	n := 0
	for _, t := range Types {
		n += s.Resources[t]
	}
	return n
}

// PerSecond is the generation rate in resources per second.
func (s Stats) PerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Total()) / s.Elapsed.Seconds()
}

// Options tune a run without changing its output.
type Options struct {
	Workers  int            // render goroutines; default GOMAXPROCS
	Progress func(done int) // called after each patient is written
}

// Generate writes the clinic cfg describes to w, one patient at a time, and
// closes w. The output depends only on cfg, never on Options.
func Generate(ctx context.Context, cfg Config, opts Options, w Writer) (Stats, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return Stats{}, err
	}
	start := time.Now()
	stats := Stats{Resources: map[string]int{}}
	err := pipeline(ctx, cfg, opts, func(e *Encoded) error {
		if err := w.WritePatient(e); err != nil {
			return fmt.Errorf("write patient %d: %w", e.N, err)
		}
		stats.Patients++
		for _, r := range e.Resources {
			stats.Resources[r.Type]++
			stats.Bytes += int64(len(r.JSON)) + 1
		}
		if opts.Progress != nil {
			opts.Progress(stats.Patients)
		}
		return nil
	})
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close output: %w", cerr)
	}
	stats.Elapsed = time.Since(start)
	return stats, err
}

// pipeline plans patients in order, renders and encodes them in parallel,
// and hands them to sink in order. Memory stays bounded by the queue.
func pipeline(ctx context.Context, cfg Config, opts Options, sink func(*Encoded) error) error {
	workers := opts.Workers
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type result struct {
		enc *Encoded
		err error
	}
	type job struct {
		plan *plan
		out  chan result
	}
	jobs := make(chan job, workers*2)
	order := make(chan chan result, workers*8)
	c := newClinic(cfg)

	// A job goes to the workers before its result channel joins the queue,
	// so every queued channel is eventually filled.
	go func() {
		defer close(order)
		defer close(jobs)
		for n := 1; n <= cfg.Patients; n++ {
			j := job{plan: c.plan(cfg.Seed, n), out: make(chan result, 1)}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
			select {
			case order <- j.out:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var buf bytes.Buffer
			for j := range jobs {
				enc, err := encode(c.render(cfg.Seed, j.plan), &buf)
				j.out <- result{enc, err}
			}
		})
	}
	defer wg.Wait()

	for ch := range order {
		res := <-ch
		if res.err == nil {
			res.err = sink(res.enc)
		}
		if res.err != nil {
			cancel()
			for range order { // let the producer finish
			}
			return res.err
		}
	}
	return ctx.Err()
}

// encode renders each resource as compact JSON. HTML escaping is off: the
// output keeps "<" and "&" as they are, like the server stores them.
func encode(rec *record, buf *bytes.Buffer) (*Encoded, error) {
	list := rec.resources()
	e := &Encoded{N: rec.n, Resources: make([]EncodedResource, 0, len(list))}
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	for _, r := range list {
		buf.Reset()
		if err := enc.Encode(r); err != nil {
			return nil, fmt.Errorf("encode %s/%s: %w", r.TypeName(), r.ResourceID(), err)
		}
		raw := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		e.Resources = append(e.Resources, EncodedResource{Type: r.TypeName(), ID: r.ResourceID(), JSON: bytes.Clone(raw)})
	}
	return e, nil
}

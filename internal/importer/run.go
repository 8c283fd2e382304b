package importer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// run is one import in progress.
type run struct {
	opts    Options
	c       *client
	journal *journal
	retry   retryPolicy

	mu     sync.Mutex // guards res
	res    Result
	total  int64
	cancel context.CancelCauseFunc

	verifyRefused atomic.Bool // the token may not search: writes go unverified
}

// Run imports the files (and the .json and .ndjson files of directories)
// into the server. Entries the server refuses are counted in the result
// and do not stop the import; the error reports what stopped it: bad
// inputs, a state file of another server, a refused token, cancellation.
// When ctx is cancelled, Run returns promptly; the state file then lets a
// later Run with the same files resume.
func Run(ctx context.Context, files []string, opts Options) (*Result, error) {
	start := time.Now()
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	srcs, err := expand(files)
	if err != nil {
		return nil, err
	}
	r := &run{
		opts:  opts,
		c:     &client{base: opts.Server, http: opts.HTTP, tokens: opts.Tokens},
		retry: retryPolicy{attempts: opts.Retries, base: 250 * time.Millisecond, max: 15 * time.Second},
	}
	r.res.Files = len(srcs)
	if opts.StatePath != "" {
		if r.journal, err = openJournal(opts.StatePath, opts.Server); err != nil {
			return nil, err
		}
	}
	for _, s := range srcs {
		r.total += int64(s.items)
	}
	if opts.Progress != nil {
		opts.Progress.SetTotal(r.total)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r.cancel = cancel
	err = r.phases(ctx, phases(srcs))
	if r.journal != nil {
		if cerr := r.journal.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}
	slices.SortStableFunc(r.res.Failures, func(a, b Failure) int {
		return cmp.Or(strings.Compare(a.File, b.File), a.Item-b.Item)
	})
	r.res.Elapsed = time.Since(start)
	if cause := context.Cause(ctx); err == nil && cause != nil {
		err = cause
	}
	return &r.res, err
}

// phases runs the steps one after another with a pool of workers; a step
// ends when its last batch is answered.
func (r *run) phases(ctx context.Context, steps [][]*source) error {
	work := make(chan *batch)
	var workers sync.WaitGroup
	var inFlight sync.WaitGroup
	for range r.opts.Concurrency {
		workers.Go(func() {
			for b := range work {
				r.process(ctx, b)
				inFlight.Done()
			}
		})
	}
	defer workers.Wait()
	defer close(work)

	d := &dispatcher{
		size: r.opts.BatchSize, maxBytes: r.opts.MaxBytes, journal: r.journal,
		emit: func(b *batch) error {
			if r.draining() {
				return ErrStopped
			}
			inFlight.Add(1)
			select {
			case work <- b:
				return nil
			case <-ctx.Done():
				inFlight.Done()
				return context.Cause(ctx)
			case <-r.opts.Drain:
				inFlight.Done()
				return ErrStopped
			}
		},
		skipped: func(n int) { r.count(func(res *Result) { res.Skipped += n }, n) },
		resized: r.resize,
	}
	for _, step := range steps {
		for _, src := range step {
			var err error
			if src.ndjson {
				err = d.ndjson(ctx, src)
			} else {
				err = d.bundleFile(src)
			}
			if err != nil {
				inFlight.Wait()
				return err
			}
		}
		inFlight.Wait()
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if r.draining() {
			return ErrStopped
		}
	}
	return nil
}

// draining reports whether a graceful stop was asked for.
func (r *run) draining() bool {
	select {
	case <-r.opts.Drain:
		return true
	default:
		return false
	}
}

// count updates the result and advances the progress by n resources.
func (r *run) count(f func(*Result), n int) {
	r.mu.Lock()
	f(&r.res)
	r.mu.Unlock()
	if r.opts.Progress != nil && n > 0 {
		r.opts.Progress.Add(n)
	}
}

// resize corrects the progress total once a Bundle file's entries are known.
func (r *run) resize(delta int) {
	if delta == 0 {
		return
	}
	r.mu.Lock()
	r.total += int64(delta)
	total := r.total
	r.mu.Unlock()
	if r.opts.Progress != nil {
		r.opts.Progress.SetTotal(total)
	}
}

// stop ends the whole import: every later request would fail alike.
func (r *run) stop(err error) {
	r.cancel(fmt.Errorf("%w: %w", errFatal, err))
}

// ErrStopped is returned when Options.Drain stopped the import: what was
// sent is answered and journaled, and a resume picks up from there.
var ErrStopped = errors.New("import stopped on request")

// IsFatal reports whether err stopped an import (rather than failing some
// entries).
func IsFatal(err error) bool { return errors.Is(err, errFatal) }

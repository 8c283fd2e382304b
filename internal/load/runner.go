package load

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Result is what one operation reports back to the runner.
type Result struct {
	Kind   string // the operation's name, e.g. "read" or "search/obs-patient-code"
	Status int    // HTTP status; 0 when no response came back or for non-HTTP work
	Units  int    // resources the operation carried (a lab transaction: 21)
	Err    error  // a transport error or a failed verification: never ignored
	// Latency is the request's own time when the op did more than send it
	// (verification); zero: the runner times the whole op.
	Latency time.Duration
}

// Op performs one operation. Each worker owns its random source, so an Op
// draws from rng without locking.
type Op func(ctx context.Context, rng *rand.Rand) Result

// RunConfig shapes one closed-loop run.
type RunConfig struct {
	Concurrency int           // workers, each with one request in flight
	Duration    time.Duration // the measured window
	Warmup      time.Duration // run but not measured, before the window
	// Requests, when set, runs exactly this many operations instead, all
	// measured (no warmup), the window being the time they took: runs
	// whose length must not depend on the machine's speed, as in tests.
	Requests int
	Seed     uint64 // workers' random sources derive from it
}

// Run starts Concurrency workers that each issue op back to back (a closed
// loop: a new request leaves when the previous one is answered) for
// Warmup+Duration. Operations that complete inside the measured window are
// recorded; those in flight when it closes are finished and dropped.
func Run(ctx context.Context, cfg RunConfig, newOp func(worker int) Op) (*Stats, error) {
	if cfg.Concurrency < 1 {
		return nil, fmt.Errorf("run: concurrency %d: want at least 1", cfg.Concurrency)
	}
	if cfg.Duration <= 0 && cfg.Requests <= 0 {
		return nil, fmt.Errorf("run: duration %v: want a positive duration or a number of requests", cfg.Duration)
	}
	begin := time.Now()
	from := begin.Add(cfg.Warmup)
	until := from.Add(cfg.Duration)
	var tickets atomic.Int64
	if cfg.Requests > 0 {
		from, until = begin, begin.Add(24*time.Hour)
		tickets.Store(int64(cfg.Requests))
	}
	rctx, cancel := context.WithDeadline(ctx, until.Add(30*time.Second)) // a hung server cannot hang the tool
	defer cancel()

	per := make([]*Stats, cfg.Concurrency)
	var wg sync.WaitGroup
	for w := range cfg.Concurrency {
		per[w] = newStats()
		op := newOp(w)
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(w)))
		wg.Go(func() {
			s := per[w]
			for {
				start := time.Now()
				if !start.Before(until) || rctx.Err() != nil {
					return
				}
				if cfg.Requests > 0 && tickets.Add(-1) < 0 {
					return
				}
				res := op(rctx, rng)
				end := time.Now()
				switch {
				case end.After(until):
					// Still unanswered when the window closed: its age then
					// is a latency at least that long, kept for the p99
					// check (a closed loop always ends with these in flight).
					s.LateAge.Record(until.Sub(start))
				case start.Before(from): // warmup
				default:
					d := end.Sub(start)
					if res.Latency > 0 {
						d = res.Latency
					}
					s.add(res, d)
				}
			}
		})
	}
	wg.Wait()
	total := newStats()
	for _, s := range per {
		total.Merge(s)
	}
	total.Window = cfg.Duration
	if cfg.Requests > 0 {
		total.Window = time.Since(begin)
	}
	total.Concurrency = cfg.Concurrency
	if err := ctx.Err(); err != nil {
		return total, fmt.Errorf("run interrupted: %w", err)
	}
	return total, nil
}

package audit

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/clinic/ehr/internal/store"
)

// maxConflictRetries bounds how often one batch is retried after
// store.ErrConflict. Several server instances may share one MongoDB log; none
// holds a lock, so two can race to append the same sequence numbers. The
// storage rejects the loser's AppendLog (duplicate sequence), its whole
// transaction rolls back, and the loser reloads the head and runs the batch
// again on top of the winner's records ("retry on duplicate sequence"). This
// keeps instances independent and costs nothing while they do not collide; a
// lease or a central sequencer would cost a round trip on every commit.
// Under sustained contention a loser backs off for a short random time, so
// that one instance cannot starve another.
const maxConflictRetries = 16

// run is the sequencer: it takes whatever queued while the previous commit
// ran (up to MaxBatch requests and MaxBatchWeight) and commits it as one
// batch. Between batches, and whenever it has nothing else to do, it writes
// the records' AuditEvent resources (projection.go).
func (r *Recorder) run() {
	defer close(r.done)
	defer r.failWaiters()
	tick := time.NewTicker(r.opts.CheckpointEvery)
	defer tick.Stop()
	idle := time.NewTimer(time.Hour)
	defer idle.Stop()
	var busy time.Time // when the last batch was committed
	for {
		batch, closed := r.take(nil)
		if len(batch) > 1 && len(batch) < gatherBelow && !closed {
			// Requests are arriving together: give the ones in flight a
			// moment to join this commit, so that one fsync serves more.
			time.Sleep(gatherFor)
			batch, _ = r.take(batch)
		}
		if len(batch) > 0 {
			r.commit(batch)
			busy = time.Now()
			// A waiting Sync gets one chunk per batch, so that requests keep
			// flowing while it catches up. Past the lag bound, the batch is
			// followed by as many records as it took the lag over the bound:
			// small steps, so that no request waits behind a whole chunk.
			if r.waiting() {
				r.projectStep(projectChunk)
			}
			for r.overLag() && r.projectStep(r.lag()-r.opts.MaxProjectionLag) {
			}
			continue
		}
		if closed {
			if r.projectionDue(true) { // drain the projection before stopping
				r.projectStep(projectChunk)
				continue
			}
			r.signCheckpoint()
			return
		}
		if r.projectionDue(false) {
			r.projectStep(projectChunk)
			continue
		}
		// Project the lag only once no request has come for idleGrace: a
		// queue that is empty for a moment between two commits is not idle.
		wait := time.Hour
		if r.projectionDue(true) {
			if wait = idleGrace - time.Since(busy); wait <= 0 {
				r.projectStep(projectChunk)
				continue
			}
		}
		idle.Reset(wait)
		select {
		case <-r.wake:
		case <-idle.C:
			if r.projectionDue(true) {
				r.projectStep(projectChunk)
			}
		case <-tick.C:
			r.signCheckpoint()
		}
	}
}

// A batch of several requests but fewer than gatherBelow waits gatherFor
// before it commits, for the requests in flight behind it.
const (
	gatherBelow = 32
	gatherFor   = time.Millisecond
)

// idleGrace is how long the sequencer waits without requests before it
// spends its time on the projection.
const idleGrace = 20 * time.Millisecond

// take appends to batch what the queue holds, within MaxBatch and
// MaxBatchWeight, and reports whether the recorder is closed.
func (r *Recorder) take(batch []*request) ([]*request, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	weight := 0
	for _, req := range batch {
		weight += max(1, req.weight)
	}
	n := 0
	for n < len(r.queue) && len(batch)+n < r.opts.MaxBatch {
		weight += max(1, r.queue[n].weight)
		if len(batch)+n > 0 && weight > r.opts.MaxBatchWeight {
			break // the next commit takes it
		}
		n++
	}
	batch = append(batch, r.queue[:n]...)
	rest := copy(r.queue, r.queue[n:])
	clear(r.queue[rest:]) // drop the taken requests' pointers
	r.queue = r.queue[:rest]
	return batch, r.closed
}

// commit commits a batch, retrying after conflicts, and releases its waiters.
func (r *Recorder) commit(batch []*request) {
	start := time.Now()
	err := r.commitWithRetry(batch)
	if r.opts.OnCommit != nil {
		r.opts.OnCommit(len(batch), time.Since(start), err)
	}
	if err != nil {
		r.opts.Logger.Error("audit group commit failed", "requests", len(batch), "err", err)
	}
	for _, req := range batch {
		req.err = err
		close(req.done)
	}
}

func (r *Recorder) commitWithRetry(batch []*request) error {
	for attempt := 0; ; attempt++ {
		if !r.headOK {
			h, err := loadHead(r.base, r.st)
			if err != nil {
				r.count(func(s *Stats) { s.Failures++ })
				return fmt.Errorf("%w: %w", ErrUnavailable, err)
			}
			r.head, r.headOK = h, true
			r.size.Store(h.size)
		}
		err := r.commitOnce(batch)
		if err == nil {
			return nil
		}
		// Whatever failed, the log may have moved (another writer, or a
		// commit that succeeded but whose reply was lost): reread it.
		r.headOK = false
		if errors.Is(err, store.ErrConflict) && attempt < maxConflictRetries {
			r.count(func(s *Stats) { s.Conflicts++ })
			time.Sleep(time.Duration(1+rand.IntN(1<<min(attempt, 5))) * time.Millisecond)
			continue
		}
		r.count(func(s *Stats) { s.Failures++ })
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
}

// commitOnce runs the batch's units and appends their AuditEvents in one
// storage transaction. Its context is detached from the callers' (as Vault's
// getAuditContext does) so that no caller can cancel a commit that carries
// other callers' records; CommitTimeout bounds it instead.
func (r *Recorder) commitOnce(batch []*request) error {
	ctx, cancel := context.WithTimeout(r.base, r.opts.CommitTimeout)
	defer cancel()

	units, owner := unitsOf(batch)
	var next head
	finished := false
	finish := func(tx store.Tx, results []error) error {
		unitErrs, err := spread(results, owner, len(batch))
		if err != nil {
			return err
		}
		events, err := r.buildEvents(batch, unitErrs)
		if err != nil {
			return err
		}
		next, err = r.appendEvents(ctx, tx, events)
		finished = err == nil
		return err
	}
	results, err := r.st.Commit(ctx, units, finish)
	if err != nil {
		return fmt.Errorf("commit audit batch: %w", err)
	}
	if !finished {
		return errors.New("commit audit batch: the store committed without appending the events")
	}
	unitErrs, err := spread(results, owner, len(batch))
	if err != nil {
		return err
	}
	for i, req := range batch {
		req.unitErr = unitErrs[i]
	}
	events := next.size - r.head.size
	r.head = next
	r.size.Store(next.size)
	r.count(func(s *Stats) {
		s.Commits++
		s.Requests += int64(len(batch))
		s.Events += events
	})
	return nil
}

// unitsOf lists the batch's units (reads have none); owner[i] is the batch
// index of units[i].
func unitsOf(batch []*request) (units []func(store.Tx) error, owner []int) {
	for i, req := range batch {
		if req.unit != nil {
			units = append(units, recovered(req.unit))
			owner = append(owner, i)
		}
	}
	return units, owner
}

// recovered turns a unit's panic into its error. A unit runs on the
// sequencer goroutine, where a panic would take down the whole server rather
// than one request.
func recovered(unit func(store.Tx) error) func(store.Tx) error {
	return func(tx store.Tx) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("audit: unit panicked: %v", p)
			}
		}()
		return unit(tx)
	}
}

// spread maps the results of the non-nil units back to batch positions.
func spread(results []error, owner []int, n int) ([]error, error) {
	if len(results) != len(owner) {
		return nil, fmt.Errorf("store returned %d unit results for %d units", len(results), len(owner))
	}
	out := make([]error, n)
	for i, err := range results {
		out[owner[i]] = err
	}
	return out, nil
}

func (r *Recorder) count(f func(*Stats)) {
	r.statsMu.Lock()
	f(&r.stats)
	r.statsMu.Unlock()
}

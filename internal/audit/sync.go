package audit

import (
	"context"
	"fmt"
	"time"
)

// syncWaiter is a Sync call waiting until the records below target have their
// AuditEvent resources.
type syncWaiter struct {
	target int64
	err    error
	done   chan struct{}
}

// Sync returns once every record in the log when it was called has its
// AuditEvent resource, so that a search or read of AuditEvents sees every
// request answered before it (read-your-writes). The log's size is read from
// the store, so records that other server instances appended count too.
func (r *Recorder) Sync(ctx context.Context) error {
	target, err := r.st.LogSize(ctx)
	if err != nil {
		return fmt.Errorf("%w: read audit log size: %w", ErrUnavailable, err)
	}
	if r.projected.Load() >= target {
		return nil
	}
	w := &syncWaiter{target: target, done: make(chan struct{})}
	if err := r.admit(func() { r.waiters = append(r.waiters, w) }); err != nil {
		return err
	}
	select {
	case <-w.done:
		return w.err
	case <-ctx.Done():
		return fmt.Errorf("wait for the AuditEvent projection: %w", ctx.Err())
	}
}

// projectRetryAfter is how long the sequencer leaves the projection alone
// after it failed, unless a Sync asks.
const projectRetryAfter = time.Second

// projectionDue reports whether the sequencer should project now: when a
// Sync waits, when the lag passed MaxProjectionLag, or when idle and behind.
func (r *Recorder) projectionDue(idle bool) bool {
	if r.hurry.Load() {
		return false
	}
	if r.waiting() {
		return true
	}
	if time.Now().Before(r.projRetry) {
		return false
	}
	return r.lag() > r.opts.MaxProjectionLag || (idle && r.lag() > 0)
}

// waiting reports whether a Sync waits.
func (r *Recorder) waiting() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.waiters) > 0
}

// lag is how many records of the log as the sequencer knows it wait for
// their AuditEvent.
func (r *Recorder) lag() int64 { return r.head.size - r.projected.Load() }

// overLag reports whether more than MaxProjectionLag records wait, and the
// projection may run (not while Close hurries, nor right after a failure).
func (r *Recorder) overLag() bool {
	return !r.hurry.Load() && !time.Now().Before(r.projRetry) && r.lag() > r.opts.MaxProjectionLag
}

// projectStep writes the AuditEvent resources of up to n more records (at
// most projectChunk) and releases the Sync calls it satisfies. Its target is
// the log as this recorder knows it, or further when a Sync saw a longer log
// (another instance's records). It reports whether it succeeded.
func (r *Recorder) projectStep(n int64) bool {
	ctx, cancel := context.WithTimeout(r.base, r.opts.CommitTimeout)
	defer cancel()
	target := r.head.size
	r.mu.Lock()
	for _, w := range r.waiters {
		target = max(target, w.target)
	}
	r.mu.Unlock()

	err := r.projectOnce(ctx, target, min(max(n, 1), projectChunk))
	if err != nil {
		r.projOK = false
		r.projRetry = time.Now().Add(projectRetryAfter)
		r.opts.Logger.Error("audit projection failed", "err", err)
	}
	r.releaseWaiters(err)
	return err == nil
}

func (r *Recorder) projectOnce(ctx context.Context, target, n int64) error {
	if !r.projOK {
		done, err := projectedPrefix(ctx, r.st, target)
		if err != nil {
			return err
		}
		r.projected.Store(done)
		r.projOK = true
	}
	from := r.projected.Load()
	if from >= target {
		return nil
	}
	to := min(from+n, target)
	if err := project(ctx, r.st, r.opts.Index, from, to); err != nil {
		return err
	}
	r.projected.Store(to)
	return nil
}

// releaseWaiters ends the Sync calls whose target is reached, or all of them
// with err when the projection failed: a reader gets 503 rather than a
// silently incomplete audit trail.
func (r *Recorder) releaseWaiters(err error) {
	done := r.projected.Load()
	r.mu.Lock()
	defer r.mu.Unlock()
	kept := r.waiters[:0]
	for _, w := range r.waiters {
		switch {
		case err != nil:
			w.err = fmt.Errorf("%w: %w", ErrUnavailable, err)
			close(w.done)
		case done >= w.target:
			close(w.done)
		default:
			kept = append(kept, w)
		}
	}
	clear(r.waiters[len(kept):])
	r.waiters = kept
}

// failWaiters ends every Sync call still waiting when the sequencer stops.
func (r *Recorder) failWaiters() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range r.waiters {
		w.err = fmt.Errorf("%w: recorder closed", ErrUnavailable)
		close(w.done)
	}
	r.waiters = nil
}

package audit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clinic/ehr/internal/store"
)

// ErrUnavailable means the audit record could not be stored, so neither was
// the request's work: the caller answers 503.
var ErrUnavailable = errors.New("audit unavailable")

// Recorder commits requests' work and their AuditEvents together, many
// requests per storage transaction (group commit), through one sequencer
// goroutine that alone assigns sequence numbers.
type Recorder struct {
	st   store.Store
	opts Options
	base context.Context // detached from every caller: see commitOnce

	mu      sync.Mutex
	queue   []*request
	waiters []*syncWaiter // Sync calls waiting for the projection
	closed  bool
	wake    chan struct{} // one pending signal that the queue grew or closed
	done    chan struct{} // closed when the sequencer has exited

	// head, headOK, signedSize, projOK and projRetry belong to the
	// sequencer goroutine.
	head       head
	headOK     bool
	signedSize int64     // size of the last checkpoint signed
	projOK     bool      // projected is known
	projRetry  time.Time // after a failed projection, when to try again unasked

	// projected counts the records from the start of the log whose
	// AuditEvent resource is written; the sequencer alone advances it.
	projected atomic.Int64
	size      atomic.Int64 // the log's size as the sequencer last knew it
	hurry     atomic.Bool  // Close ran out of time: stop projecting

	statsMu sync.Mutex
	stats   Stats

	lastCheckpoint atomic.Pointer[[]byte]
}

// request is one caller waiting for its unit and events to be committed.
type request struct {
	unit    func(store.Tx) error
	build   func(unitErr error) []Event
	pre     []store.Write // events rendered by the caller (Record), so the sequencer only sequences
	weight  int           // the request's share of MaxBatchWeight
	unitErr error         // the unit's own result, once committed
	err     error         // non-nil (wrapping ErrUnavailable) when the commit failed
	done    chan struct{} // closed when unitErr and err are final
}

// NewRecorder loads the log head and starts the sequencer. It refuses to start
// when the log cannot be read: a server must not serve without its audit trail.
func NewRecorder(ctx context.Context, st store.Store, opts Options) (*Recorder, error) {
	h, err := loadHead(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("start audit recorder: %w", err)
	}
	done, err := projectedPrefix(ctx, st, h.size)
	if err != nil {
		return nil, fmt.Errorf("start audit recorder: %w", err)
	}
	r := &Recorder{
		st:     st,
		opts:   opts.withDefaults(),
		base:   context.WithoutCancel(ctx),
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
		head:   h,
		headOK: true,
		projOK: true,
	}
	r.projected.Store(done)
	r.size.Store(h.size)
	r.signCheckpoint()
	go r.run()
	return r, nil
}

// Do runs unit (nil for reads) inside the next group commit, then records the
// events that build returns for the unit's result in the same storage
// transaction, so a write never takes effect without its audit record.
//
// It returns the unit's error, or an error wrapping ErrUnavailable when the
// commit failed. Do waits for the commit even when ctx ends first, so that a
// client that hangs up cannot cancel its own audit record; it then returns
// ctx.Err() (the work and its record were committed).
func (r *Recorder) Do(ctx context.Context, unit func(store.Tx) error, build func(unitErr error) []Event) error {
	req := &request{unit: unit, build: build, weight: weightOf(ctx), done: make(chan struct{})}
	if err := r.enqueue(req); err != nil {
		return err
	}
	<-req.done
	if req.err != nil {
		return req.err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return req.unitErr
}

// Record commits events that describe no write: reads, refusals, failures.
//
// The AuditEvents are rendered here, in the caller's goroutine, so that the
// single sequencer only assigns numbers, hashes and writes.
func (r *Recorder) Record(ctx context.Context, events ...Event) error {
	now := r.opts.Now().UTC().Truncate(time.Millisecond)
	pre := make([]store.Write, 0, len(events))
	for i := range events {
		w, err := r.render(&events[i], now)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		pre = append(pre, w)
	}
	req := &request{pre: pre, weight: len(pre), done: make(chan struct{})}
	if err := r.enqueue(req); err != nil {
		return err
	}
	<-req.done
	if req.err != nil {
		return req.err
	}
	return ctx.Err()
}

type weightKey struct{}

// WithWeight tells Do how much work the request's unit is, in resources
// written (a transaction's entries), so that one group commit stays within
// MaxBatchWeight and its CommitTimeout.
func WithWeight(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, weightKey{}, n)
}

func weightOf(ctx context.Context) int {
	if n, ok := ctx.Value(weightKey{}).(int); ok && n > 1 {
		return n
	}
	return 1
}

func (r *Recorder) enqueue(req *request) error {
	return r.admit(func() { r.queue = append(r.queue, req) })
}

// admit runs add under the lock, unless the recorder is closed, and wakes
// the sequencer.
func (r *Recorder) admit(add func()) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return fmt.Errorf("%w: recorder closed", ErrUnavailable)
	}
	add()
	r.mu.Unlock()
	r.signal()
	return nil
}

func (r *Recorder) signal() {
	select {
	case r.wake <- struct{}{}:
	default: // a signal is already pending
	}
}

// Close stops accepting requests, waits until every queued request is
// committed, writes the AuditEvents still to project while ctx lasts, and
// stops the sequencer. If ctx ends first it leaves the projection to the
// next start (the records are in the log), waits (up to CommitTimeout) for
// the commit or projection step under way, and returns ctx.Err(); the
// sequencer still drains the queue of requests.
func (r *Recorder) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.signal()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		r.hurry.Store(true)
		select { // the step under way, bounded like any commit
		case <-r.done:
		case <-time.After(r.opts.CommitTimeout):
		}
		return fmt.Errorf("close audit recorder: %w", ctx.Err())
	}
}

// Stats returns the counters so far.
func (r *Recorder) Stats() Stats {
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	s := r.stats
	if s.Commits > 0 {
		s.MeanBatch = float64(s.Requests) / float64(s.Commits)
	}
	s.Projected = r.projected.Load()
	s.Lag = max(0, r.size.Load()-s.Projected)
	r.mu.Lock()
	s.Queued = int64(len(r.queue))
	r.mu.Unlock()
	return s
}

// LastCheckpoint returns the latest checkpoint the recorder signed, or nil
// without a Signer.
func (r *Recorder) LastCheckpoint() []byte {
	if p := r.lastCheckpoint.Load(); p != nil {
		return *p
	}
	return nil
}

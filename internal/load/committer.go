package load

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/store"
)

// groupCommitter is the audit recorder's commit strategy with none of its
// content (internal/audit/sequencer.go): callers queue units, and one
// goroutine takes whatever queued while the previous commit ran (at most
// maxBatch; a batch of a few waits audit.GatherFor for those in flight) and
// commits it as one storage transaction. finish, when set, appends rows for
// the batch (ceiling b's audit log records) inside that transaction. Between
// commits it works off its backlog (ceiling b's AuditEvent projection) under
// the recorder's policy: when no request came for audit.ProjectionIdleGrace,
// and after every commit while more than maxLag records wait.
type groupCommitter struct {
	st       store.Store
	maxBatch int
	finish   func(tx store.Tx, batch []*pending) error
	backlog  backlog // nil: nothing to do between commits
	maxLag   int64

	mu         sync.Mutex
	queue      []*pending
	closed     bool
	backlogErr error // the backlog's first failure: it is not retried
	wake       chan struct{}
	done       chan struct{}

	commits, requests atomic.Int64
}

// backlog is work left after the commits: it reports how much waits, and
// does the next piece of it in a storage transaction of its own.
type backlog interface {
	lag() int64
	step(ctx context.Context, n int64) error // up to n records, at most audit.ProjectChunk
}

// pending is one caller waiting for its unit to be committed.
type pending struct {
	unit    func(store.Tx) error // nil: nothing to write, only rows for finish
	events  int                  // audit records finish appends for it
	unitErr error                // the unit's own failure (its writes were rolled back)
	err     error                // the commit's failure: nothing of the batch was stored
	done    chan struct{}
}

// recorderMaxBatch is the recorder's default batch bound (audit.Options).
const recorderMaxBatch = 256

// newGroupCommitter starts a committer whose backlog may lag by maxLag
// records (audit.DefaultMaxProjectionLag, as the recorder's).
func newGroupCommitter(st store.Store, finish func(store.Tx, []*pending) error, bl backlog, maxLag int64) *groupCommitter {
	g := &groupCommitter{st: st, maxBatch: recorderMaxBatch, finish: finish, backlog: bl, maxLag: maxLag,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	go g.run()
	return g
}

var errCommitterClosed = errors.New("group committer closed")

// Do queues unit (with events rows to append) and waits for its commit.
// It returns the unit's own error and the commit's, apart, as the audit
// recorder's callers need them.
func (g *groupCommitter) Do(unit func(store.Tx) error, events int) (unitErr, err error) {
	p := &pending{unit: unit, events: events, done: make(chan struct{})}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil, errCommitterClosed
	}
	g.queue = append(g.queue, p)
	g.mu.Unlock()
	g.signal()
	<-p.done
	return p.unitErr, p.err
}

// BacklogErr is the backlog's failure, if it failed: the committer then
// leaves it alone.
func (g *groupCommitter) BacklogErr() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.backlogErr
}

func (g *groupCommitter) signal() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// Close commits what is queued, works off the backlog, and stops.
func (g *groupCommitter) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.signal()
	<-g.done
}

// MeanBatch is requests per commit so far.
func (g *groupCommitter) MeanBatch() float64 {
	c := g.commits.Load()
	if c == 0 {
		return 0
	}
	return float64(g.requests.Load()) / float64(c)
}

// run mirrors the recorder's sequencer loop (audit.(*Recorder).run).
func (g *groupCommitter) run() {
	defer close(g.done)
	idle := time.NewTimer(time.Hour)
	defer idle.Stop()
	var busy time.Time // when the last batch was committed
	for {
		batch, closed := g.take(nil)
		if len(batch) > 1 && len(batch) < audit.GatherBelow && !closed {
			time.Sleep(audit.GatherFor)
			batch, _ = g.take(batch)
		}
		if len(batch) > 0 {
			g.commit(batch)
			busy = time.Now()
			// As the recorder: past the bound, as many records as the
			// batch took the lag over it.
			for g.overLag() && g.step(g.backlog.lag()-g.maxLag) {
			}
			continue
		}
		if closed {
			if g.due(true) && g.step(audit.ProjectChunk) {
				continue
			}
			return
		}
		if g.due(false) {
			g.step(audit.ProjectChunk)
			continue
		}
		wait := time.Hour
		if g.due(true) {
			if wait = audit.ProjectionIdleGrace - time.Since(busy); wait <= 0 {
				g.step(audit.ProjectChunk)
				continue
			}
		}
		idle.Reset(wait)
		select {
		case <-g.wake:
		case <-idle.C:
		}
	}
}

// take appends to batch what the queue holds, within maxBatch, and reports
// whether the committer is closed.
func (g *groupCommitter) take(batch []*pending) ([]*pending, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := min(len(g.queue), g.maxBatch-len(batch))
	batch = append(batch, g.queue[:n]...)
	rest := copy(g.queue, g.queue[n:])
	clear(g.queue[rest:])
	g.queue = g.queue[:rest]
	return batch, g.closed
}

// due reports whether to work on the backlog now: when more than maxLag
// records wait, or when idle and behind.
func (g *groupCommitter) due(idle bool) bool {
	if g.backlog == nil || g.BacklogErr() != nil {
		return false
	}
	lag := g.backlog.lag()
	return lag > g.maxLag || (idle && lag > 0)
}

func (g *groupCommitter) overLag() bool {
	return g.backlog != nil && g.BacklogErr() == nil && g.backlog.lag() > g.maxLag
}

// step does up to n records of the backlog and reports whether it worked.
func (g *groupCommitter) step(n int64) bool {
	if err := g.backlog.step(context.Background(), n); err != nil {
		g.mu.Lock()
		g.backlogErr = err
		g.mu.Unlock()
		return false
	}
	return true
}

func (g *groupCommitter) commit(batch []*pending) {
	var units []func(store.Tx) error
	var owner []int
	for i, p := range batch {
		if p.unit != nil {
			units = append(units, p.unit)
			owner = append(owner, i)
		}
	}
	var finish func(store.Tx, []error) error
	if g.finish != nil {
		finish = func(tx store.Tx, _ []error) error { return g.finish(tx, batch) }
	}
	results, err := g.st.Commit(context.Background(), units, finish)
	if err == nil {
		g.commits.Add(1)
		g.requests.Add(int64(len(batch)))
	}
	for i := range batch {
		batch[i].err = err
	}
	if err == nil {
		for k, uerr := range results {
			if uerr != nil {
				batch[owner[k]].unitErr = uerr
			}
		}
	}
	for _, p := range batch {
		close(p.done) // after every err is set: the waiter reads it next
	}
}

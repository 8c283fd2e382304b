package load

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/clinic/ehr/internal/store"
)

// groupCommitter is the audit recorder's commit strategy with none of its
// content: callers queue units, and one goroutine takes whatever queued
// while the previous commit ran (at most maxBatch) and commits it as one
// storage transaction. finish, when set, appends rows for the batch
// (ceiling b's AuditEvents) inside that transaction.
type groupCommitter struct {
	st       store.Store
	maxBatch int
	finish   func(tx store.Tx, batch []*pending) error

	mu     sync.Mutex
	queue  []*pending
	closed bool
	wake   chan struct{}
	done   chan struct{}

	commits, requests atomic.Int64
}

// pending is one caller waiting for its unit to be committed.
type pending struct {
	unit    func(store.Tx) error // nil: nothing to write, only rows for finish
	events  int                  // AuditEvent rows finish appends for it
	unitErr error                // the unit's own failure (its writes were rolled back)
	err     error                // the commit's failure: nothing of the batch was stored
	done    chan struct{}
}

// recorderMaxBatch is the recorder's default batch bound (audit.Options).
const recorderMaxBatch = 256

func newGroupCommitter(st store.Store, finish func(store.Tx, []*pending) error) *groupCommitter {
	g := &groupCommitter{st: st, maxBatch: recorderMaxBatch, finish: finish,
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
	select {
	case g.wake <- struct{}{}:
	default:
	}
	<-p.done
	return p.unitErr, p.err
}

// Close commits what is queued and stops.
func (g *groupCommitter) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	select {
	case g.wake <- struct{}{}:
	default:
	}
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

func (g *groupCommitter) run() {
	defer close(g.done)
	for {
		g.mu.Lock()
		n := min(len(g.queue), g.maxBatch)
		batch := append([]*pending(nil), g.queue[:n]...)
		rest := copy(g.queue, g.queue[n:])
		clear(g.queue[rest:])
		g.queue = g.queue[:rest]
		closed := g.closed
		g.mu.Unlock()
		if len(batch) > 0 {
			g.commit(batch)
			continue
		}
		if closed {
			return
		}
		<-g.wake
	}
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

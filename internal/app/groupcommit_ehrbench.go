//go:build ehrbench

package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/clinic/ehr/internal/store"
)

// groupCommitter is the audit recorder's commit strategy without its
// content, for offAuditor: callers queue units, and one goroutine commits
// whatever queued while the previous commit ran (at most offMaxBatch) as
// one durable storage transaction. Same batching, same fsyncs, no
// AuditEvent rows: the difference to the recorder is what auditing costs.
type groupCommitter struct {
	st store.Store

	mu     sync.Mutex
	queue  []*offPending
	closed bool
	wake   chan struct{}
	done   chan struct{}
}

type offPending struct {
	unit    func(store.Tx) error
	unitErr error // the unit's own failure (its writes were rolled back)
	err     error // the commit's failure: nothing of the batch was stored
	done    chan struct{}
}

const (
	offMaxBatch      = 256              // the recorder's default batch bound (audit.Options)
	offCommitTimeout = 10 * time.Second // and its default commit timeout
)

var errCommitterClosed = errors.New("bench group committer closed")

func newGroupCommitter(st store.Store) *groupCommitter {
	g := &groupCommitter{st: st, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go g.run()
	return g
}

// do queues unit and waits for its commit: the unit's error and the
// commit's, apart.
func (g *groupCommitter) do(unit func(store.Tx) error) (unitErr, err error) {
	p := &offPending{unit: unit, done: make(chan struct{})}
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

// close commits what is queued and stops.
func (g *groupCommitter) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.signal()
	<-g.done
}

func (g *groupCommitter) signal() {
	select {
	case g.wake <- struct{}{}:
	default: // a signal is already pending
	}
}

func (g *groupCommitter) run() {
	defer close(g.done)
	for {
		g.mu.Lock()
		n := min(len(g.queue), offMaxBatch)
		batch := append([]*offPending(nil), g.queue[:n]...)
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

func (g *groupCommitter) commit(batch []*offPending) {
	units := make([]func(store.Tx) error, len(batch))
	for i, p := range batch {
		units[i] = p.unit
	}
	ctx, cancel := context.WithTimeout(context.Background(), offCommitTimeout)
	results, err := g.st.Commit(ctx, units, nil)
	cancel()
	for i, p := range batch {
		p.err = err
		if err == nil && i < len(results) {
			p.unitErr = results[i]
		}
		close(p.done) // after its errors are set: the waiter reads them next
	}
}

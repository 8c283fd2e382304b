package load

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/store"
)

// logAppender writes the audit trail as the recorder does, so that ceiling
// b writes the audit rows too. Inside each group commit it appends the log
// records alone (sequence number, the AuditEvent's body, leaf hash, Merkle
// tree hashes); the AuditEvent resources and their index entries are the
// projection, written afterwards in log order by audit.ProjectRange (the
// committer's backlog). Hashes it appended stay in memory; older ones are
// read from the store. Only the committer's goroutine calls it.
type logAppender struct {
	st    store.Store
	index audit.IndexFunc
	size  int64       // records in the log
	base  int64       // storage index of mem[0]
	mem   []tlog.Hash // stored hashes from base on

	// Read by other goroutines, for reports.
	projected        atomic.Int64 // records from the start whose AuditEvent is written
	appended         atomic.Int64 // l.size
	steps, stepNanos atomic.Int64 // projection commits and their time
}

// newLogAppender projects what an earlier run left unprojected, so that the
// records still to project are exactly those this appender appends.
func newLogAppender(ctx context.Context, st store.Store, index audit.IndexFunc) (*logAppender, error) {
	if err := audit.CatchUp(ctx, st, index); err != nil {
		return nil, err
	}
	n, err := st.LogSize(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit log size: %w", err)
	}
	l := &logAppender{st: st, index: index, size: n, base: tlog.StoredHashIndex(0, n)}
	l.projected.Store(n)
	l.appended.Store(n)
	return l, nil
}

// ReadHashes implements tlog.HashReader.
func (l *logAppender) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var old []int64
	for i, x := range indexes {
		if x >= l.base {
			out[i] = l.mem[x-l.base]
			continue
		}
		old = append(old, x)
	}
	if len(old) == 0 {
		return out, nil
	}
	raw, err := l.st.LogHashes(context.Background(), old)
	if err != nil {
		return nil, fmt.Errorf("read stored tree hashes: %w", err)
	}
	k := 0
	for i, x := range indexes {
		if x < l.base {
			copy(out[i][:], raw[k])
			k++
		}
	}
	return out, nil
}

// append appends the AuditEvents' log records, bodies included, in tx. On
// a failed commit the appender is out of step with the store and must not
// be used again.
func (l *logAppender) append(tx store.Tx, rows []store.Write) error {
	entries := make([]store.LogEntry, 0, len(rows))
	var hashes []store.LogHash
	for _, w := range rows {
		leaf := tlog.RecordHash(w.Resource.Body)
		stored, err := tlog.StoredHashesForRecordHash(l.size, leaf, l)
		if err != nil {
			return fmt.Errorf("tree hashes of record %d: %w", l.size, err)
		}
		first := tlog.StoredHashIndex(0, l.size)
		for i, h := range stored {
			hashes = append(hashes, store.LogHash{Index: first + int64(i), Hash: append([]byte(nil), h[:]...)})
		}
		l.mem = append(l.mem, stored...)
		entries = append(entries, store.LogEntry{Seq: l.size, ResourceID: w.Resource.ID,
			Hash: append([]byte(nil), leaf[:]...), Body: w.Resource.Body})
		l.size++
	}
	l.appended.Store(l.size)
	if err := tx.AppendLog(entries, hashes); err != nil {
		return fmt.Errorf("append audit log: %w", err)
	}
	return nil
}

// lag is how many records wait for their AuditEvent resource.
func (l *logAppender) lag() int64 { return l.appended.Load() - l.projected.Load() }

// step projects the next n records (at most a chunk), as one step of the
// recorder's projection: their AuditEvent resources and index entries, in
// one commit.
func (l *logAppender) step(ctx context.Context, n int64) error {
	start := time.Now()
	from := l.projected.Load()
	to := min(from+min(max(n, 1), audit.ProjectChunk), l.size)
	if err := audit.ProjectRange(ctx, l.st, l.index, from, to); err != nil {
		return fmt.Errorf("ceiling b: %w", err)
	}
	l.projected.Store(to)
	l.steps.Add(1)
	l.stepNanos.Add(int64(time.Since(start)))
	return nil
}

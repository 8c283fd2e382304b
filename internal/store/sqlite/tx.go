package sqlite

import (
	"context"
	"fmt"

	"github.com/clinic/ehr/internal/store"
)

// unitTx is the store.Tx of one unit, or of finish. Reads run in the commit's
// transaction, so they see the writes of earlier units but not this unit's
// own pending writes. Writes wait in pending until the unit returns nil. A
// unitTx is not safe for concurrent use, and a Write must not change between
// Put and the unit's return.
type unitTx struct {
	c        *commit
	writes   []store.Write
	versions map[resKey]int64 // the version of this unit's latest pending write
	entries  []store.LogEntry
	hashes   []store.LogHash
	logNext  int64 // the sequence number the next entry must have; -1 until read
}

type resKey struct{ typ, id string }

func newUnitTx(c *commit) *unitTx {
	return &unitTx{c: c, versions: map[resKey]int64{}, logNext: -1}
}

// Read and Search use the commit's context, not the caller's: a client that
// hangs up must not cancel a shared group commit.
func (t *unitTx) Read(_ context.Context, typ, id string) (*store.Resource, error) {
	return readCurrent(t.c.ctx, t.c.stmt(t.c.ws.readCurrent), typ, id)
}

func (t *unitTx) Search(_ context.Context, q *store.Query) (*store.SearchResult, error) {
	return runSearch(t.c.ctx, cachedTx{tx: t.c.tx, cache: t.c.cache}, q)
}

// Put checks the version now, so that the unit learns of a conflict at once,
// and queues the write; apply checks again.
func (t *unitTx) Put(w store.Write) error {
	r := w.Resource
	if r.Type == "" || r.ID == "" {
		return fmt.Errorf("sqlite: put %q/%q: type and id are required", r.Type, r.ID)
	}
	k := resKey{r.Type, r.ID}
	cur, pending := t.versions[k]
	if !pending {
		var err error
		if _, cur, err = t.c.current(k); err != nil {
			return err
		}
	}
	if r.VersionID != cur+1 {
		return conflict("put %s/%s: version %d does not follow %d", r.Type, r.ID, r.VersionID, cur)
	}
	t.versions[k] = r.VersionID
	t.writes = append(t.writes, w)
	return nil
}

// AppendLog checks that the entries continue the log, counting entries this
// unit already queued, and queues them.
func (t *unitTx) AppendLog(entries []store.LogEntry, hashes []store.LogHash) error {
	if t.logNext < 0 {
		n, err := t.c.logSize()
		if err != nil {
			return err
		}
		t.logNext = n
	}
	for i, e := range entries {
		if want := t.logNext + int64(i); e.Seq != want {
			return conflict("append log: entry %d has seq %d, want %d", i, e.Seq, want)
		}
	}
	t.logNext += int64(len(entries))
	t.entries = append(t.entries, entries...)
	t.hashes = append(t.hashes, hashes...)
	return nil
}

// apply stores the queued writes and log records in the commit's transaction.
func (t *unitTx) apply() error {
	var rows []any
	written := map[resKey]bool{}
	for _, w := range t.writes {
		k := resKey{w.Resource.Type, w.Resource.ID}
		if written[k] {
			// A later version of a resource this unit already wrote replaces
			// its index entries: those must be in the table to be replaced.
			if err := t.c.insertRows("insert index entries", &t.c.ws.insertIndex, idxInsert.cols, rows); err != nil {
				return err
			}
			rows = rows[:0]
		}
		written[k] = true
		if err := t.c.applyWrite(w, &rows); err != nil {
			return err
		}
	}
	if err := t.c.insertRows("insert index entries", &t.c.ws.insertIndex, idxInsert.cols, rows); err != nil {
		return err
	}
	return t.c.applyLog(t.entries, t.hashes)
}

var _ store.Tx = (*unitTx)(nil)

package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/clinic/ehr/internal/store"
)

// Report is the outcome of Verify.
type Report struct {
	Size     int64  // records in the log
	FirstBad int64  // first sequence number that cannot be trusted; -1 when all is well
	Problem  string // what is wrong at FirstBad ("" when all is well)
}

// OK reports whether the log verified.
func (r *Report) OK() bool { return r.FirstBad < 0 }

// verifyPage is how many records Verify reads per round trip.
const verifyPage = 512

// Verify recomputes the whole log from the AuditEvent bodies: every leaf hash,
// the contiguity of sequence numbers and every stored tree hash, and checks
// that each AuditEvent resource served is its record's body. Records at the
// end of the log may not have their AuditEvent resource yet (projection.go);
// one missing before a projected record was deleted. With a
// checkpoint it also checks the checkpoint's signature and that the log still
// has the checkpoint's root at the checkpoint's size, which catches a history
// rewritten consistently (hashes recomputed) or truncated. The error is for
// storage failures and bad checkpoints; tampering is in the Report.
func Verify(ctx context.Context, st store.Store, checkpoint []byte, verifier note.Verifier) (*Report, error) {
	var cp *Tree
	if checkpoint != nil {
		t, err := OpenCheckpoint(checkpoint, verifier)
		if err != nil {
			return nil, err
		}
		cp = &t
	}
	size, err := st.LogSize(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify: read audit log size: %w", err)
	}
	v := &scan{ctx: ctx, st: st, cp: cp, tree: newOverlay(nil, nil), rep: &Report{Size: size, FirstBad: -1}}
	if cp != nil && cp.Size > size {
		return v.bad(size, fmt.Sprintf("log has %d records, the checkpoint %d: records were removed", size, cp.Size)), nil
	}
	if err := v.checkRoot(0); err != nil || !v.rep.OK() {
		return v.rep, err
	}
	for from := int64(0); from < size; from += verifyPage {
		if err := v.page(from, min(from+verifyPage, size)); err != nil || !v.rep.OK() {
			return v.rep, err
		}
	}
	return v.rep, nil
}

// scan holds the state of one Verify pass.
type scan struct {
	ctx  context.Context
	st   store.Store
	cp   *Tree
	tree *overlay // recomputed hashes, pruned to the frontier
	rep  *Report
	// unprojected lists the records seen without their AuditEvent since
	// the last one seen with it (no bodies): fine at the tail, tampering
	// before a record that has one.
	unprojected []store.LogEntry
}

func (v *scan) bad(seq int64, problem string) *Report {
	v.rep.FirstBad, v.rep.Problem = seq, problem
	return v.rep
}

// page checks records [from, to).
func (v *scan) page(from, to int64) error {
	entries, err := v.st.LogEntries(v.ctx, from, to)
	if err != nil {
		return fmt.Errorf("verify: read audit log %d..%d: %w", from, to, err)
	}
	stored, err := v.storedHashes(from, to)
	if err != nil {
		return err
	}
	for n := from; n < to; n++ {
		k := n - from
		if k >= int64(len(entries)) {
			v.bad(n, "log entry missing")
			return nil
		}
		if e := entries[k]; e.Seq != n {
			v.bad(n, fmt.Sprintf("log entry %d found where %d belongs", e.Seq, n))
			return nil
		}
		if err := v.record(n, entries[k], stored); err != nil || !v.rep.OK() {
			return err
		}
	}
	return nil
}

// storedHashes reads the hashes that records [from, to) stored: one
// contiguous run of storage indexes.
func (v *scan) storedHashes(from, to int64) (map[int64][]byte, error) {
	lo, hi := tlog.StoredHashIndex(0, from), tlog.StoredHashIndex(0, to)
	idx := make([]int64, 0, hi-lo)
	for i := lo; i < hi; i++ {
		idx = append(idx, i)
	}
	return v.readHashes(idx)
}

// readHashes returns nil, not an error, when a hash is missing: that is
// tampering, not an outage, and record then reads them record by record to say
// which record lost its hashes.
func (v *scan) readHashes(idx []int64) (map[int64][]byte, error) {
	raw, err := v.st.LogHashes(v.ctx, idx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("verify: read audit tree hashes: %w", err)
	}
	if len(raw) != len(idx) {
		return nil, fmt.Errorf("verify: asked %d tree hashes, got %d", len(idx), len(raw))
	}
	out := make(map[int64][]byte, len(idx))
	for i, h := range raw {
		out[idx[i]] = h
	}
	return out, nil
}

// record checks one log entry: its body, its AuditEvent, its leaf hash and
// the tree hashes its append stored.
func (v *scan) record(n int64, e store.LogEntry, stored map[int64][]byte) error {
	body, err := v.servedBody(n, e)
	if err != nil || !v.rep.OK() {
		return err
	}
	leaf := tlog.RecordHash(body)
	if !bytes.Equal(e.Hash, leaf[:]) {
		v.bad(n, "record altered: its body no longer matches its leaf hash")
		return nil
	}
	hashes, err := v.tree.appendLeaf(n, leaf)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if stored == nil {
		if stored, err = v.readHashes(indexesOf(hashes)); err != nil || stored == nil {
			if err == nil {
				v.bad(n, "tree hashes of the record are missing")
			}
			return err
		}
	}
	for _, h := range hashes {
		if !bytes.Equal(stored[h.Index], h.Hash) {
			v.bad(n, fmt.Sprintf("stored tree hash %d does not match the records: a record was altered, inserted, removed or reordered", h.Index))
			return nil
		}
	}
	v.tree.prune(n + 1)
	return v.checkRoot(n + 1)
}

// servedBody returns the record's body after checking that every stored copy
// of it agrees: the log's (entries stored before the log kept bodies have
// none), the current AuditEvent that reads, searches and accountings serve,
// and version 1 (MongoDB's history keeps a second copy).
func (v *scan) servedBody(n int64, e store.LogEntry) ([]byte, error) {
	res, err := v.served(n, e.ResourceID)
	if err != nil || !v.rep.OK() {
		return nil, err
	}
	if res == nil {
		if e.Body == nil {
			v.bad(n, "AuditEvent of the record is missing")
			return nil, nil
		}
		v.unprojected = append(v.unprojected, store.LogEntry{Seq: n, ResourceID: e.ResourceID, Hash: e.Hash})
		return e.Body, nil
	}
	// Records are projected in order (projection.go), so the records seen
	// without their AuditEvent must have it now: the projection ran while
	// this scan read, or someone deleted them.
	for _, u := range v.unprojected {
		late, err := v.served(u.Seq, u.ResourceID)
		if err != nil || !v.rep.OK() {
			return nil, err
		}
		if late == nil {
			v.bad(u.Seq, "AuditEvent of the record is missing")
			return nil, nil
		}
		if leaf := tlog.RecordHash(late.Body); !bytes.Equal(leaf[:], u.Hash) {
			v.bad(u.Seq, "record altered: its AuditEvent differs from the log's copy")
			return nil, nil
		}
	}
	v.unprojected = v.unprojected[:0]
	if e.Body != nil && !bytes.Equal(e.Body, res.Body) {
		v.bad(n, "record altered: its AuditEvent differs from the log's copy")
		return nil, nil
	}
	return res.Body, nil
}

// served reads the AuditEvent of record n and checks its version 1 against
// it. It returns nil when there is none.
func (v *scan) served(n int64, rid string) (*store.Resource, error) {
	res, err := v.st.Read(v.ctx, "AuditEvent", rid)
	if errors.Is(err, store.ErrNotFound) || (err == nil && res.Deleted) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("verify: read AuditEvent of record %d: %w", n, err)
	}
	if res.VersionID != 1 {
		v.bad(n, fmt.Sprintf("record altered: its AuditEvent has version %d, records are never updated", res.VersionID))
		return nil, nil
	}
	first, err := v.st.ReadVersion(v.ctx, "AuditEvent", rid, 1)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !bytes.Equal(first.Body, res.Body)) {
		v.bad(n, "record altered: its stored copies differ")
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("verify: read AuditEvent of record %d: %w", n, err)
	}
	return res, nil
}

func indexesOf(hashes []store.LogHash) []int64 {
	idx := make([]int64, len(hashes))
	for i, h := range hashes {
		idx[i] = h.Index
	}
	return idx
}

// checkRoot compares the recomputed root with the checkpoint's once the scan
// reaches the checkpoint's size.
func (v *scan) checkRoot(size int64) error {
	if v.cp == nil || v.cp.Size != size {
		return nil
	}
	root, err := tlog.TreeHash(size, v.tree)
	if err != nil {
		return fmt.Errorf("verify: root at size %d: %w", size, err)
	}
	if root != v.cp.Root {
		// One root cannot say which record changed, only that some record
		// before the checkpoint's size did: nothing from 0 can be trusted.
		v.bad(0, fmt.Sprintf("the first %d records do not match the checkpoint's root: history was rewritten", size))
	}
	return nil
}

package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/clinic/ehr/internal/store"
)

// auditType is the resource type the records are stored as.
const auditType = "AuditEvent"

// buildEvents asks every request for its events, in batch order. A builder
// that panics fails the batch instead of killing the sequencer, which would
// leave every later caller waiting forever.
func (r *Recorder) buildEvents(batch []*request, unitErrs []error) (writes []store.Write, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("build audit events: panic: %v", p)
		}
	}()
	now := r.opts.Now().UTC().Truncate(time.Millisecond)
	for i, req := range batch {
		if req.build == nil {
			writes = append(writes, req.pre...)
			continue
		}
		for _, e := range req.build(unitErrs[i]) {
			w, err := r.render(&e, now)
			if err != nil {
				return nil, err
			}
			writes = append(writes, w)
		}
	}
	return writes, nil
}

// appendEvents appends the events to the log with the next sequence numbers,
// inside the commit's transaction; their AuditEvent resources follow later
// (projection.go). It returns the head the log will have once the
// transaction commits.
func (r *Recorder) appendEvents(ctx context.Context, tx store.Tx, events []store.Write) (head, error) {
	if len(events) == 0 {
		return r.head, nil
	}
	// The frontier in memory serves every read; the store is only a fallback.
	tree := newOverlay(r.head.frontier, storeHashes(ctx, r.st))
	entries := make([]store.LogEntry, 0, len(events))
	var hashes []store.LogHash
	for i, w := range events {
		seq := r.head.size + int64(i)
		leaf := tlog.RecordHash(w.Resource.Body)
		stored, err := tree.appendLeaf(seq, leaf)
		if err != nil {
			return head{}, err
		}
		entries = append(entries, store.LogEntry{Seq: seq, ResourceID: w.Resource.ID, Hash: leaf[:], Body: w.Resource.Body})
		hashes = append(hashes, stored...)
	}
	if err := tx.AppendLog(entries, hashes); err != nil {
		return head{}, fmt.Errorf("append audit log at %d: %w", r.head.size, err)
	}
	size := r.head.size + int64(len(events))
	frontier, err := tree.frontier(size)
	if err != nil {
		return head{}, err
	}
	return head{size: size, frontier: frontier}, nil
}

// render turns an event into the AuditEvent version to store. The body is
// compact JSON with sorted keys; the bytes hashed are the bytes stored.
func (r *Recorder) render(e *Event, now time.Time) (store.Write, error) {
	if e.Recorded.IsZero() {
		e.Recorded = now
	}
	id := r.opts.NewID()
	body, err := json.Marshal(e.document(id, &metaJSON{VersionID: "1", LastUpdated: now.Format(recordedFormat)}))
	if err != nil {
		return store.Write{}, fmt.Errorf("encode AuditEvent: %w", err)
	}
	return store.Write{Resource: store.Resource{Type: auditType, ID: id, VersionID: 1, LastUpdated: now, Body: body}}, nil
}

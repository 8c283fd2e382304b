package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// The log entry is the audit record: it holds the AuditEvent's body, and it is
// committed with the request's work before the response goes out. The
// AuditEvent resource, with its search index entries, is a projection of the
// log that the sequencer writes afterwards, in the log's order, many records
// per commit: indexing an AuditEvent costs several times what appending it
// does, and no request should wait for it. Whoever reads AuditEvents calls
// Sync first (read-your-writes), and tools that open the store directly call
// CatchUp.
//
// Records are projected in sequence order and each projection commit is
// atomic, so the projected records are always a prefix of the log. That is
// what lets a restart find where to resume (projectedPrefix) and Verify tell
// a record not yet projected (the tail) from one whose AuditEvent was deleted
// (a gap).

// IndexFunc extracts search index entries and sort values from a resource.
type IndexFunc func(resourceType string, doc map[string]any) ([]search.IndexEntry, map[string]any, error)

// projectChunk is how many records one projection commit writes.
const projectChunk = 256

// projection turns a log entry into the AuditEvent resource to store.
func projection(e store.LogEntry, index IndexFunc) (store.Write, error) {
	var doc map[string]any
	if err := json.Unmarshal(e.Body, &doc); err != nil {
		return store.Write{}, fmt.Errorf("decode AuditEvent of record %d: %w", e.Seq, err)
	}
	meta, _ := doc["meta"].(map[string]any)
	stamp, _ := meta["lastUpdated"].(string)
	updated, err := time.Parse(recordedFormat, stamp)
	if err != nil {
		return store.Write{}, fmt.Errorf("AuditEvent of record %d: meta.lastUpdated: %w", e.Seq, err)
	}
	w := store.Write{Resource: store.Resource{Type: auditType, ID: e.ResourceID, VersionID: 1, LastUpdated: updated, Body: e.Body}}
	if index != nil {
		if w.Index, w.Sort, err = index(auditType, doc); err != nil {
			return store.Write{}, fmt.Errorf("index AuditEvent of record %d: %w", e.Seq, err)
		}
	}
	return w, nil
}

// project writes the AuditEvent resources of records [from, to) in one
// commit. Entries without a body were stored with their AuditEvent already.
func project(ctx context.Context, st store.Store, index IndexFunc, from, to int64) error {
	entries, err := st.LogEntries(ctx, from, to)
	if err != nil {
		return fmt.Errorf("read audit log [%d, %d): %w", from, to, err)
	}
	if int64(len(entries)) != to-from {
		return fmt.Errorf("audit log [%d, %d) has %d entries", from, to, len(entries))
	}
	writes := make([]store.Write, 0, len(entries))
	for _, e := range entries {
		if e.Body == nil {
			continue
		}
		w, err := projection(e, index)
		if err != nil {
			return err
		}
		writes = append(writes, w)
	}
	if len(writes) == 0 {
		return nil
	}
	err = commitProjection(ctx, st, writes, false)
	if errors.Is(err, store.ErrConflict) {
		// Another server instance sharing the log projected some of these
		// records first: write the others.
		err = commitProjection(ctx, st, writes, true)
	}
	return err
}

func commitProjection(ctx context.Context, st store.Store, writes []store.Write, skipExisting bool) error {
	unit := func(tx store.Tx) error {
		for _, w := range writes {
			if skipExisting {
				_, err := tx.Read(ctx, auditType, w.Resource.ID)
				if err == nil {
					continue
				}
				if !errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("read AuditEvent %s: %w", w.Resource.ID, err)
				}
			}
			if err := tx.Put(w); err != nil {
				return fmt.Errorf("store AuditEvent %s: %w", w.Resource.ID, err)
			}
		}
		return nil
	}
	results, err := st.Commit(ctx, []func(store.Tx) error{unit}, nil)
	if err != nil {
		return fmt.Errorf("commit AuditEvent projection: %w", err)
	}
	if results[0] != nil {
		return fmt.Errorf("commit AuditEvent projection: %w", results[0])
	}
	return nil
}

// projectedPrefix returns how many records from the start of the log of the
// given size have their AuditEvent resource. The projected records are a
// prefix, so a binary search finds its end.
func projectedPrefix(ctx context.Context, st store.Store, size int64) (int64, error) {
	lo, hi := int64(0), size // records below lo are projected; hi and above are not
	for lo < hi {
		mid := lo + (hi-lo)/2
		ok, err := projected(ctx, st, mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// projected reports whether record n has its AuditEvent resource.
func projected(ctx context.Context, st store.Store, n int64) (bool, error) {
	entries, err := st.LogEntries(ctx, n, n+1)
	if err != nil {
		return false, fmt.Errorf("read audit log entry %d: %w", n, err)
	}
	if len(entries) != 1 {
		return false, fmt.Errorf("audit log has no entry %d", n)
	}
	if entries[0].Body == nil {
		return true, nil
	}
	_, err = st.Read(ctx, auditType, entries[0].ResourceID)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	default:
		return false, fmt.Errorf("read AuditEvent of record %d: %w", n, err)
	}
}

// CatchUp projects every record of the log that has no AuditEvent resource
// yet. Tools that read AuditEvents straight from the store call it first: a
// server that stopped abruptly may have left records unprojected.
func CatchUp(ctx context.Context, st store.Store, index IndexFunc) error {
	size, err := st.LogSize(ctx)
	if err != nil {
		return fmt.Errorf("audit catch-up: read log size: %w", err)
	}
	done, err := projectedPrefix(ctx, st, size)
	if err != nil {
		return fmt.Errorf("audit catch-up: %w", err)
	}
	for done < size {
		to := min(done+projectChunk, size)
		if err := project(ctx, st, index, done, to); err != nil {
			return fmt.Errorf("audit catch-up: %w", err)
		}
		done = to
	}
	return nil
}

package audit

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/clinic/ehr/internal/store"
)

// The audit log is an RFC 6962 Merkle tree kept in tlog's storage layout: the
// leaf of record n is tlog.RecordHash(body of its AuditEvent), and appending
// record n stores the hashes tlog.StoredHashes returns, at consecutive storage
// indexes from tlog.StoredHashIndex(0, n).

// storeHashes reads stored tree hashes from the store.
func storeHashes(ctx context.Context, st store.Store) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		raw, err := st.LogHashes(ctx, indexes)
		if err != nil {
			return nil, fmt.Errorf("read audit tree hashes: %w", err)
		}
		return toHashes(indexes, raw)
	})
}

func toHashes(indexes []int64, raw [][]byte) ([]tlog.Hash, error) {
	if len(raw) != len(indexes) {
		return nil, fmt.Errorf("audit tree: asked %d hashes, got %d", len(indexes), len(raw))
	}
	out := make([]tlog.Hash, len(raw))
	for i, b := range raw {
		if len(b) != tlog.HashSize {
			return nil, fmt.Errorf("audit tree: hash at index %d has %d bytes", indexes[i], len(b))
		}
		out[i] = tlog.Hash(b)
	}
	return out, nil
}

// frontierIndexes are the storage indexes of the complete subtrees along the
// right edge of a tree of n records, one per 1 bit of n. They are all that
// tlog.TreeHash(n) reads, and all that appending records n, n+1, … reads
// from before n, so a writer that keeps them in memory never has to read the
// store while it appends.
func frontierIndexes(n int64) []int64 {
	var idx []int64
	for level := 62; level >= 0; level-- {
		if (n>>level)&1 == 1 {
			idx = append(idx, tlog.StoredHashIndex(level, n>>level-1))
		}
	}
	return idx
}

// overlay serves hashes appended in memory (and the frontier they grow from),
// falling back to a slower reader for anything else.
type overlay struct {
	hashes map[int64]tlog.Hash
	under  tlog.HashReader
}

func newOverlay(frontier map[int64]tlog.Hash, under tlog.HashReader) *overlay {
	o := &overlay{hashes: make(map[int64]tlog.Hash, len(frontier)+64), under: under}
	for i, h := range frontier {
		o.hashes[i] = h
	}
	return o
}

func (o *overlay) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int64
	for i, idx := range indexes {
		h, ok := o.hashes[idx]
		if !ok {
			missing = append(missing, idx)
			continue
		}
		out[i] = h
	}
	if len(missing) == 0 {
		return out, nil
	}
	if o.under == nil {
		return nil, fmt.Errorf("audit tree: hashes %v not in memory", missing)
	}
	found, err := o.under.ReadHashes(missing)
	if err != nil {
		return nil, err
	}
	for i, idx := range indexes {
		if _, ok := o.hashes[idx]; !ok {
			out[i], found = found[0], found[1:]
		}
	}
	return out, nil
}

// appendLeaf computes the stored hashes for record n with the given leaf hash,
// keeps them in the overlay and returns them with their storage indexes.
func (o *overlay) appendLeaf(n int64, leaf tlog.Hash) ([]store.LogHash, error) {
	hashes, err := tlog.StoredHashesForRecordHash(n, leaf, o)
	if err != nil {
		return nil, fmt.Errorf("audit tree: hashes for record %d: %w", n, err)
	}
	first := tlog.StoredHashIndex(0, n)
	out := make([]store.LogHash, len(hashes))
	for i, h := range hashes {
		o.hashes[first+int64(i)] = h
		out[i] = store.LogHash{Index: first + int64(i), Hash: h[:]}
	}
	return out, nil
}

// frontier extracts the frontier of a tree of n records from the overlay.
func (o *overlay) frontier(n int64) (map[int64]tlog.Hash, error) {
	idx := frontierIndexes(n)
	hashes, err := o.ReadHashes(idx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]tlog.Hash, len(idx))
	for i, h := range hashes {
		out[idx[i]] = h
	}
	return out, nil
}

// prune forgets every hash that appending after record n-1 cannot need, so
// that a long scan keeps O(log n) hashes in memory.
func (o *overlay) prune(n int64) {
	keep := make(map[int64]bool)
	for _, i := range frontierIndexes(n) {
		keep[i] = true
	}
	for i := range o.hashes {
		if !keep[i] {
			delete(o.hashes, i)
		}
	}
}

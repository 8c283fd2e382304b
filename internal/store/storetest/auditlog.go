package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/clinic/ehr/internal/store"
)

func testAuditLog(t *testing.T, open Opener) {
	t.Run("EmptyLog", func(t *testing.T) {
		s := open(t)
		if n := logSize(t, s); n != 0 {
			t.Fatalf("size %d", n)
		}
		if got := logEntries(t, s, 0, 10); len(got) != 0 {
			t.Fatalf("entries %v", got)
		}
	})

	t.Run("AppendAndReadRanges", func(t *testing.T) {
		s := open(t)
		appendLog(t, s, 0, 5)
		if n := logSize(t, s); n != 5 {
			t.Fatalf("size %d, want 5", n)
		}
		ranges := []struct{ from, to, wantFrom, wantTo int64 }{
			{0, 5, 0, 5}, {1, 3, 1, 3}, {4, 5, 4, 5}, {3, 100, 3, 5}, {2, 2, 2, 2}, {5, 9, 5, 5}, {4, 1, 4, 4},
		}
		for _, r := range ranges {
			got := logEntries(t, s, r.from, r.to)
			if int64(len(got)) != r.wantTo-r.wantFrom {
				t.Fatalf("LogEntries(%d, %d) returned %d entries, want %d", r.from, r.to, len(got), r.wantTo-r.wantFrom)
			}
			for i, e := range got {
				checkEntry(t, e, logEntry(r.wantFrom+int64(i)))
			}
		}
	})

	t.Run("ContinuesAcrossCommits", func(t *testing.T) {
		s := open(t)
		appendLog(t, s, 0, 2)
		appendLog(t, s, 2, 3)
		if n := logSize(t, s); n != 5 {
			t.Fatalf("size %d, want 5", n)
		}
	})

	t.Run("FirstSeqMustEqualSize", func(t *testing.T) {
		s := open(t)
		appendLog(t, s, 0, 2)
		for _, first := range []int64{0, 1, 3, -1} {
			err := appendErr(s, entries(first, 1))
			if !errors.Is(err, store.ErrConflict) {
				t.Errorf("append at %d to a log of 2: %v, want ErrConflict", first, err)
			}
		}
		if n := logSize(t, s); n != 2 {
			t.Fatalf("size %d after refused appends, want 2", n)
		}
	})

	t.Run("ContiguousWithinCall", func(t *testing.T) {
		s := open(t)
		bad := [][]store.LogEntry{
			{logEntry(0), logEntry(2)},
			{logEntry(0), logEntry(0)},
			{logEntry(1), logEntry(0)},
		}
		for _, es := range bad {
			if err := appendErr(s, es); !errors.Is(err, store.ErrConflict) {
				t.Errorf("append %v: %v, want ErrConflict", seqs(es), err)
			}
		}
		if n := logSize(t, s); n != 0 {
			t.Fatalf("size %d after refused appends, want 0", n)
		}
	})

	t.Run("UnitsAndFinishAppendInTurn", func(t *testing.T) {
		s := open(t)
		results := commit(t, s, []func(store.Tx) error{
			func(tx store.Tx) error { return tx.AppendLog(entries(0, 2), nil) },
			func(tx store.Tx) error {
				if err := tx.AppendLog(entries(2, 1), nil); err != nil {
					return err
				}
				return errUnit // its entry must go, and the next unit starts at 2 again
			},
			func(tx store.Tx) error { return tx.AppendLog(entries(2, 1), nil) },
		}, func(tx store.Tx, _ []error) error { return tx.AppendLog(entries(3, 2), nil) })
		if results[0] != nil || !errors.Is(results[1], errUnit) || results[2] != nil {
			t.Fatalf("results %v", results)
		}
		if n := logSize(t, s); n != 5 {
			t.Fatalf("size %d, want 5", n)
		}
		for i, e := range logEntries(t, s, 0, 5) {
			checkEntry(t, e, logEntry(int64(i)))
		}
	})

	t.Run("ConflictInFinishFailsCommit", func(t *testing.T) {
		s := open(t)
		appendLog(t, s, 0, 1)
		_, err := s.Commit(t.Context(), []func(store.Tx) error{putUnit(Version("Patient", "a", 1))},
			func(tx store.Tx, _ []error) error { return tx.AppendLog(entries(0, 1), nil) })
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("Commit: %v, want ErrConflict", err)
		}
		if _, err := s.Read(t.Context(), "Patient", "a"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unit write survived a log conflict: %v", err)
		}
	})

	t.Run("HashesByIndex", func(t *testing.T) {
		s := open(t)
		appendLog(t, s, 0, 4) // stores hashes 0..3 with the entries
		got, err := s.LogHashes(t.Context(), []int64{3, 0, 2, 0})
		if err != nil {
			t.Fatalf("LogHashes: %v", err)
		}
		for i, idx := range []int64{3, 0, 2, 0} {
			if !bytes.Equal(got[i], treeHash(idx)) {
				t.Errorf("hash %d = %x, want %x", idx, got[i], treeHash(idx))
			}
		}
		if got, err := s.LogHashes(t.Context(), nil); err != nil || len(got) != 0 {
			t.Errorf("LogHashes(nil) = %v, %v", got, err)
		}
	})

	t.Run("MissingHashIsNotFound", func(t *testing.T) {
		s := open(t)
		appendLog(t, s, 0, 2)
		if _, err := s.LogHashes(t.Context(), []int64{0, 7}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("LogHashes of a missing index: %v, want ErrNotFound", err)
		}
	})
}

// logEntry is the suite's entry at seq: its AuditEvent id and leaf hash derive from seq.
func logEntry(seq int64) store.LogEntry {
	return store.LogEntry{Seq: seq, ResourceID: fmt.Sprintf("audit-%d", seq), Hash: fmt.Appendf(nil, "leaf-%d", seq)}
}

func entries(first int64, n int) []store.LogEntry {
	out := make([]store.LogEntry, n)
	for i := range out {
		out[i] = logEntry(first + int64(i))
	}
	return out
}

// treeHash is the suite's stored tree hash at a storage index.
func treeHash(idx int64) []byte { return fmt.Appendf(nil, "node-%d", idx) }

// appendLog appends n entries from first, with the tree hashes of the same
// indexes, in the finish of one Commit, and fails the test on error.
func appendLog(t *testing.T, s store.Store, first int64, n int) {
	t.Helper()
	var hashes []store.LogHash
	for i := range n {
		hashes = append(hashes, store.LogHash{Index: first + int64(i), Hash: treeHash(first + int64(i))})
	}
	commit(t, s, nil, func(tx store.Tx, _ []error) error { return tx.AppendLog(entries(first, n), hashes) })
}

// appendErr appends entries in a unit and returns the unit's error.
func appendErr(s store.Store, es []store.LogEntry) error {
	results, err := s.Commit(context.Background(), []func(store.Tx) error{
		func(tx store.Tx) error { return tx.AppendLog(es, nil) },
	}, noFinish)
	if err != nil {
		return err
	}
	return results[0]
}

func logSize(t *testing.T, s store.Store) int64 {
	t.Helper()
	n, err := s.LogSize(t.Context())
	if err != nil {
		t.Fatalf("LogSize: %v", err)
	}
	return n
}

func logEntries(t *testing.T, s store.Store, from, to int64) []store.LogEntry {
	t.Helper()
	es, err := s.LogEntries(t.Context(), from, to)
	if err != nil {
		t.Fatalf("LogEntries(%d, %d): %v", from, to, err)
	}
	return es
}

func checkEntry(t *testing.T, got, want store.LogEntry) {
	t.Helper()
	if got.Seq != want.Seq || got.ResourceID != want.ResourceID || !bytes.Equal(got.Hash, want.Hash) {
		t.Fatalf("entry %+v, want %+v", got, want)
	}
}

func seqs(es []store.LogEntry) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}

package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/clinic/ehr/internal/store"
)

var errUnit = errors.New("unit refused")

func testCommit(t *testing.T, open Opener) {
	t.Run("UnitsRunInOrder", func(t *testing.T) {
		s := open(t)
		var order []int
		units := make([]func(store.Tx) error, 5)
		for i := range units {
			units[i] = func(store.Tx) error { order = append(order, i); return nil }
		}
		commit(t, s, units, func(store.Tx, []error) error { order = append(order, -1); return nil })
		if want := []int{0, 1, 2, 3, 4, -1}; !slices.Equal(order, want) {
			t.Fatalf("ran %v, want %v (finish last)", order, want)
		}
	})

	t.Run("FailedUnitLeavesNoTrace", func(t *testing.T) {
		s := open(t)
		results := commit(t, s, []func(store.Tx) error{
			putUnit(Version("Patient", "a", 1)),
			func(tx store.Tx) error {
				if err := tx.Put(Version("Patient", "b", 1, Str("name", "b"))); err != nil {
					return err
				}
				if err := tx.AppendLog([]store.LogEntry{logEntry(0)}, []store.LogHash{{Index: 0, Hash: []byte("h")}}); err != nil {
					return err
				}
				return errUnit
			},
			putUnit(Version("Patient", "c", 1)),
		}, noFinish)
		if results[0] != nil || !errors.Is(results[1], errUnit) || results[2] != nil {
			t.Fatalf("results %v, want [nil, %v, nil]", results, errUnit)
		}
		read(t, s, "Patient", "a")
		read(t, s, "Patient", "c")
		if _, err := s.Read(t.Context(), "Patient", "b"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the failed unit's resource: %v, want ErrNotFound", err)
		}
		if ids := SearchIDs(t, s, store.Query{Type: "Patient", Where: match("name", eqCode("b"))}); len(ids) != 0 {
			t.Fatalf("the failed unit's index entries were searchable: %v", ids)
		}
		if n := logSize(t, s); n != 0 {
			t.Fatalf("the failed unit's log entry was kept: size %d", n)
		}
	})

	t.Run("ConflictFailsOnlyItsUnit", func(t *testing.T) {
		s := open(t)
		results := commit(t, s, []func(store.Tx) error{
			putUnit(Version("Patient", "a", 1)),
			putUnit(Version("Patient", "a", 1)), // the same create again
			putUnit(Version("Patient", "b", 2)), // no version 1
			putUnit(Version("Patient", "a", 2)),
		}, noFinish)
		if results[0] != nil || !errors.Is(results[1], store.ErrConflict) || !errors.Is(results[2], store.ErrConflict) || results[3] != nil {
			t.Fatalf("results %v, want [nil, ErrConflict, ErrConflict, nil]", results)
		}
		checkResource(t, read(t, s, "Patient", "a"), Version("Patient", "a", 2).Resource)
	})

	t.Run("LaterUnitSeesEarlierWrites", func(t *testing.T) {
		s := open(t)
		results := commit(t, s, []func(store.Tx) error{
			putUnit(Version("Patient", "a", 1, Str("name", "alice"))),
			func(tx store.Tx) error {
				got := read(t, tx, "Patient", "a")
				checkResource(t, got, Version("Patient", "a", 1).Resource)
				if ids := SearchIDs(t, tx, store.Query{Type: "Patient", Where: match("name", eqCode("alice"))}); !slices.Equal(ids, []string{"a"}) {
					t.Errorf("search in a later unit = %v, want [a]", ids)
				}
				return tx.Put(Version("Patient", "a", 2))
			},
		}, noFinish)
		if results[0] != nil || results[1] != nil {
			t.Fatalf("results %v", results)
		}
		checkResource(t, read(t, s, "Patient", "a"), Version("Patient", "a", 2).Resource)
	})

	t.Run("LaterUnitDoesNotSeeFailedUnit", func(t *testing.T) {
		s := open(t)
		results := commit(t, s, []func(store.Tx) error{
			func(tx store.Tx) error {
				if err := tx.Put(Version("Patient", "a", 1)); err != nil {
					return err
				}
				return errUnit
			},
			func(tx store.Tx) error {
				if _, err := tx.Read(t.Context(), "Patient", "a"); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("read of a failed unit's write: %v, want ErrNotFound", err)
				}
				return tx.Put(Version("Patient", "a", 1))
			},
		}, noFinish)
		if !errors.Is(results[0], errUnit) || results[1] != nil {
			t.Fatalf("results %v", results)
		}
	})

	t.Run("TwoVersionsInOneUnit", func(t *testing.T) {
		s := open(t)
		results := commit(t, s, []func(store.Tx) error{
			func(tx store.Tx) error {
				if err := tx.Put(Version("Patient", "a", 1, Str("name", "old"))); err != nil {
					return err
				}
				return tx.Put(Version("Patient", "a", 2, Str("name", "new")))
			},
		}, noFinish)
		if results[0] != nil {
			t.Fatalf("unit: %v", results[0])
		}
		checkResource(t, read(t, s, "Patient", "a"), Version("Patient", "a", 2).Resource)
		// Only the later version's index entries remain.
		if ids := SearchIDs(t, s, store.Query{Type: "Patient", Where: match("name", eqCode("new"))}); !slices.Equal(ids, []string{"a"}) {
			t.Errorf("search by the new name = %v, want [a]", ids)
		}
		if ids := SearchIDs(t, s, store.Query{Type: "Patient", Where: match("name", eqCode("old"))}); len(ids) != 0 {
			t.Errorf("search by the replaced name = %v, want none", ids)
		}
	})

	t.Run("FinishGetsResultsAndWrites", func(t *testing.T) {
		s := open(t)
		var seen []error
		results := commit(t, s, []func(store.Tx) error{
			putUnit(Version("Patient", "a", 1)),
			func(store.Tx) error { return errUnit },
		}, func(tx store.Tx, results []error) error {
			seen = slices.Clone(results)
			read(t, tx, "Patient", "a")
			if err := tx.Put(Version("AuditEvent", "ev1", 1)); err != nil {
				return err
			}
			return tx.AppendLog([]store.LogEntry{logEntry(0)}, nil)
		})
		if len(seen) != 2 || seen[0] != nil || !errors.Is(seen[1], errUnit) {
			t.Fatalf("finish saw %v, want [nil, %v]", seen, errUnit)
		}
		if !slices.Equal(seen, results) {
			t.Fatalf("finish saw %v, Commit returned %v", seen, results)
		}
		read(t, s, "AuditEvent", "ev1")
		if n := logSize(t, s); n != 1 {
			t.Fatalf("log size %d after finish appended one entry", n)
		}
	})

	t.Run("FinishErrorRollsBackEverything", func(t *testing.T) {
		s := open(t)
		errFinish := errors.New("finish refused")
		_, err := s.Commit(t.Context(), []func(store.Tx) error{
			putUnit(Version("Patient", "a", 1)),
			func(tx store.Tx) error { return tx.AppendLog([]store.LogEntry{logEntry(0)}, nil) },
		}, func(tx store.Tx, _ []error) error {
			if err := tx.Put(Version("AuditEvent", "ev1", 1)); err != nil {
				return err
			}
			return errFinish
		})
		if !errors.Is(err, errFinish) {
			t.Fatalf("Commit: %v, want the finish error", err)
		}
		for _, id := range [][2]string{{"Patient", "a"}, {"AuditEvent", "ev1"}} {
			if _, err := s.Read(t.Context(), id[0], id[1]); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s/%s survived a failed finish: %v", id[0], id[1], err)
			}
		}
		if n := logSize(t, s); n != 0 {
			t.Errorf("log size %d after a failed finish", n)
		}
	})

	t.Run("NoUnits", func(t *testing.T) {
		s := open(t)
		var calls int
		results := commit(t, s, nil, func(tx store.Tx, results []error) error {
			calls++
			if len(results) != 0 {
				t.Errorf("finish got %d results", len(results))
			}
			return tx.Put(Version("AuditEvent", "ev1", 1))
		})
		if len(results) != 0 || calls != 1 {
			t.Fatalf("results %v, finish called %d times", results, calls)
		}
		read(t, s, "AuditEvent", "ev1")
	})

	t.Run("CanceledContextStoresNothing", func(t *testing.T) {
		s := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := s.Commit(ctx, []func(store.Tx) error{putUnit(Version("Patient", "a", 1))}, noFinish)
		if err == nil {
			t.Fatal("Commit with a canceled context succeeded")
		}
		if _, err := s.Read(t.Context(), "Patient", "a"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("write of a canceled commit: %v, want ErrNotFound", err)
		}
	})

	t.Run("ContextCanceledDuringCommitStoresNothing", func(t *testing.T) {
		s := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		_, err := s.Commit(ctx, []func(store.Tx) error{
			putUnit(Version("Patient", "a", 1)),
			func(store.Tx) error { cancel(); return nil },
			putUnit(Version("Patient", "b", 1)),
		}, noFinish)
		if err == nil {
			t.Fatal("Commit whose context ended midway succeeded")
		}
		for _, id := range []string{"a", "b"} {
			if _, err := s.Read(t.Context(), "Patient", id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Patient/%s of a canceled commit: %v, want ErrNotFound", id, err)
			}
		}
	})
}

// commit runs a Commit that must succeed as a whole, and returns its results.
func commit(t *testing.T, s store.Store, units []func(store.Tx) error, finish func(store.Tx, []error) error) []error {
	t.Helper()
	results, err := s.Commit(t.Context(), units, finish)
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if len(results) != len(units) {
		t.Fatalf("Commit returned %d results for %d units", len(results), len(units))
	}
	return results
}

func putUnit(w store.Write) func(store.Tx) error {
	return func(tx store.Tx) error { return tx.Put(w) }
}

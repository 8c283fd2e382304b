package storetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/clinic/ehr/internal/store"
)

func testVersions(t *testing.T, open Opener) {
	t.Run("CreateThenRead", func(t *testing.T) {
		s := open(t)
		w := Version("Patient", "p1", 1)
		Put(t, s, w)
		got := read(t, s, "Patient", "p1")
		checkResource(t, got, w.Resource)
	})

	t.Run("UpdatesKeepEveryVersion", func(t *testing.T) {
		s := open(t)
		for vid := int64(1); vid <= 5; vid++ {
			Put(t, s, Version("Patient", "p1", vid))
		}
		checkResource(t, read(t, s, "Patient", "p1"), Version("Patient", "p1", 5).Resource)
		for vid := int64(1); vid <= 5; vid++ {
			got, err := s.ReadVersion(t.Context(), "Patient", "p1", vid)
			if err != nil {
				t.Fatalf("ReadVersion %d: %v", vid, err)
			}
			checkResource(t, got, Version("Patient", "p1", vid).Resource)
		}
	})

	t.Run("DeletionMarker", func(t *testing.T) {
		s := open(t)
		Put(t, s, Version("Patient", "p1", 1), Version("Patient", "p1", 2), Deletion("Patient", "p1", 3))
		got := read(t, s, "Patient", "p1")
		if !got.Deleted || len(got.Body) != 0 || got.VersionID != 3 {
			t.Fatalf("Read after delete = deleted %t, vid %d, body %q; want a deletion marker at version 3", got.Deleted, got.VersionID, got.Body)
		}
		marker, err := s.ReadVersion(t.Context(), "Patient", "p1", 3)
		if err != nil || !marker.Deleted {
			t.Fatalf("ReadVersion 3 = %+v, %v; want the marker", marker, err)
		}
		old, err := s.ReadVersion(t.Context(), "Patient", "p1", 2)
		if err != nil {
			t.Fatalf("ReadVersion 2 after delete: %v", err)
		}
		checkResource(t, old, Version("Patient", "p1", 2).Resource)
	})

	t.Run("RecreateAfterDeleteIsNextVersion", func(t *testing.T) {
		s := open(t)
		Put(t, s, Version("Patient", "p1", 1), Deletion("Patient", "p1", 2))
		err := put(s, Version("Patient", "p1", 1))
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("re-create as version 1 = %v, want ErrConflict", err)
		}
		Put(t, s, Version("Patient", "p1", 3, Str("name", "back")))
		checkResource(t, read(t, s, "Patient", "p1"), Version("Patient", "p1", 3).Resource)
		if ids := SearchIDs(t, s, store.Query{Type: "Patient"}); len(ids) != 1 {
			t.Fatalf("search after re-create = %v, want [p1]", ids)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		Put(t, s, Version("Patient", "p1", 1))
		ctx := t.Context()
		checks := []struct {
			name string
			err  error
		}{
			{"Read unknown id", errOf(s.Read(ctx, "Patient", "nope"))},
			{"Read same id, other type", errOf(s.Read(ctx, "Observation", "p1"))},
			{"ReadVersion unknown id", errOf(s.ReadVersion(ctx, "Patient", "nope", 1))},
			{"ReadVersion unknown version", errOf(s.ReadVersion(ctx, "Patient", "p1", 2))},
			{"ReadVersion 0", errOf(s.ReadVersion(ctx, "Patient", "p1", 0))},
			{"History unknown id", errOf(s.History(ctx, store.HistoryQuery{Type: "Patient", ID: "nope"}))},
		}
		for _, c := range checks {
			if !errors.Is(c.err, store.ErrNotFound) {
				t.Errorf("%s: error %v, want one wrapping ErrNotFound", c.name, c.err)
			}
		}
	})

	t.Run("WrongVersionConflicts", func(t *testing.T) {
		s := open(t)
		Put(t, s, Version("Patient", "p1", 1))
		for _, w := range []store.Write{
			Version("Patient", "p1", 1),  // exists already
			Version("Patient", "p1", 3),  // skips 2
			Version("Patient", "p1", 0),  // never valid
			Version("Patient", "new", 2), // does not exist
			Deletion("Patient", "p1", 1), // a marker follows the same rule
			Version("Patient", "p1", -1), // never valid
		} {
			if err := put(s, w); !errors.Is(err, store.ErrConflict) {
				t.Errorf("put %s v%d: %v, want ErrConflict", w.Resource.ID, w.Resource.VersionID, err)
			}
		}
		checkResource(t, read(t, s, "Patient", "p1"), Version("Patient", "p1", 1).Resource)
		if _, err := s.Read(t.Context(), "Patient", "new"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a refused create was stored: %v", err)
		}
	})

	t.Run("TypesAreSeparate", func(t *testing.T) {
		s := open(t)
		Put(t, s, Version("Patient", "x", 1), Version("Patient", "x", 2), Version("Observation", "x", 1))
		checkResource(t, read(t, s, "Patient", "x"), Version("Patient", "x", 2).Resource)
		checkResource(t, read(t, s, "Observation", "x"), Version("Observation", "x", 1).Resource)
	})

	t.Run("LastUpdatedIsUTCMilliseconds", func(t *testing.T) {
		s := open(t)
		w := Version("Patient", "p1", 1)
		at := time.Date(2023, 7, 14, 23, 59, 58, 987_000_000, time.FixedZone("UTC+5", 5*3600))
		w.Resource.LastUpdated = at
		Put(t, s, w)
		got := read(t, s, "Patient", "p1")
		if !got.LastUpdated.Equal(at) || got.LastUpdated.Location() != time.UTC {
			t.Fatalf("LastUpdated = %v (%v), want %v in UTC", got.LastUpdated, got.LastUpdated.Location(), at.UTC())
		}
	})
}

func testHistory(t *testing.T, open Opener) {
	s := open(t)
	// Versions 1–5 of p1, the fourth a deletion; one version of p2.
	Put(t, s, Version("Patient", "p1", 1), Version("Patient", "p1", 2), Version("Patient", "p1", 3),
		Deletion("Patient", "p1", 4), Version("Patient", "p1", 5), Version("Patient", "p2", 1))
	cases := []struct {
		name string
		q    store.HistoryQuery
		want []int64
	}{
		{"AllNewestFirst", store.HistoryQuery{}, []int64{5, 4, 3, 2, 1}},
		{"Count", store.HistoryQuery{Count: 2}, []int64{5, 4}},
		{"BeforeVersion", store.HistoryQuery{BeforeVersion: 4}, []int64{3, 2, 1}},
		{"BeforeVersionAndCount", store.HistoryQuery{BeforeVersion: 4, Count: 2}, []int64{3, 2}},
		{"BeforeFirstVersion", store.HistoryQuery{BeforeVersion: 1}, nil},
		{"SinceIsInclusive", store.HistoryQuery{Since: Updated(3)}, []int64{5, 4, 3}},
		{"SinceBetweenVersions", store.HistoryQuery{Since: Updated(3).Add(time.Millisecond)}, []int64{5, 4}},
		{"SinceAndCount", store.HistoryQuery{Since: Updated(2), Count: 1}, []int64{5}},
		{"SinceAndBeforeVersion", store.HistoryQuery{Since: Updated(2), BeforeVersion: 5}, []int64{4, 3, 2}},
		{"SinceAfterEverything", store.HistoryQuery{Since: Updated(6)}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.q.Type, c.q.ID = "Patient", "p1"
			got, err := s.History(t.Context(), c.q)
			if err != nil {
				t.Fatalf("History: %v", err)
			}
			var vids []int64
			for _, r := range got {
				vids = append(vids, r.VersionID)
				want := Version("Patient", "p1", r.VersionID).Resource
				if r.VersionID == 4 {
					want = Deletion("Patient", "p1", 4).Resource
				}
				checkResource(t, &r, want)
			}
			if !slices.Equal(vids, c.want) {
				t.Fatalf("versions %v, want %v", vids, c.want)
			}
		})
	}
}

// put stores one write in its own Commit and returns the unit's error.
func put(s store.Store, w store.Write) error {
	results, err := s.Commit(context.Background(), []func(store.Tx) error{
		func(tx store.Tx) error { return tx.Put(w) },
	}, noFinish)
	if err != nil {
		return err
	}
	return results[0]
}

func read(t *testing.T, s store.Reader, typ, id string) *store.Resource {
	t.Helper()
	r, err := s.Read(t.Context(), typ, id)
	if err != nil {
		t.Fatalf("Read %s/%s: %v", typ, id, err)
	}
	return r
}

// checkResource compares a stored version with what was written.
func checkResource(t *testing.T, got *store.Resource, want store.Resource) {
	t.Helper()
	if got.Type != want.Type || got.ID != want.ID || got.VersionID != want.VersionID || got.Deleted != want.Deleted {
		t.Fatalf("got %s/%s v%d deleted=%t, want %s/%s v%d deleted=%t",
			got.Type, got.ID, got.VersionID, got.Deleted, want.Type, want.ID, want.VersionID, want.Deleted)
	}
	if !got.LastUpdated.Equal(want.LastUpdated) {
		t.Fatalf("%s/%s v%d: LastUpdated %v, want %v", got.Type, got.ID, got.VersionID, got.LastUpdated, want.LastUpdated)
	}
	if !bytes.Equal(got.Body, want.Body) {
		t.Fatalf("%s/%s v%d: body %q, want %q", got.Type, got.ID, got.VersionID, got.Body, want.Body)
	}
}

func errOf[T any](_ T, err error) error { return err }

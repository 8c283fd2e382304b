package mongo

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/clinic/ehr/internal/store"
)

// openMemory opens a fresh lungo:memory store, closed at cleanup.
func openMemory(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), "lungo:memory", Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

var epoch = time.Date(2024, 3, 1, 9, 30, 0, 123_000_000, time.UTC)

// version is a live write of typ/id at vid with a body naming the version.
func version(typ, id string, vid int64, idx ...store.IndexEntry) store.Write {
	return store.Write{
		Resource: store.Resource{
			Type: typ, ID: id, VersionID: vid,
			LastUpdated: epoch.Add(time.Duration(vid) * time.Minute),
			Body:        fmt.Appendf(nil, `{"resourceType":%q,"id":%q,"meta":{"versionId":"%d"}}`, typ, id, vid),
		},
		Index: idx,
	}
}

// put commits each write as its own unit and fails on any error.
func put(t *testing.T, s store.Store, writes ...store.Write) {
	t.Helper()
	units := make([]func(store.Tx) error, len(writes))
	for i, w := range writes {
		units[i] = func(tx store.Tx) error { return tx.Put(w) }
	}
	results, err := s.Commit(context.Background(), units, nil)
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	for i, err := range results {
		if err != nil {
			t.Fatalf("unit %d: %v", i, err)
		}
	}
}

func str(param, v string) store.IndexEntry {
	return store.IndexEntry{Param: param, Code: v, Text: v}
}

func token(param, system, code string) store.IndexEntry {
	return store.IndexEntry{Param: param, System: system, Code: code}
}

func ref(param, typ, id string) store.IndexEntry {
	return store.IndexEntry{Param: param, System: typ, Code: id}
}

func rng(param string, lo, hi float64) store.IndexEntry {
	return store.IndexEntry{Param: param, Lo: &lo, Hi: &hi}
}

func ids(rs []store.Resource) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

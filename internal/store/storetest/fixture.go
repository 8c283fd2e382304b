package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/clinic/ehr/internal/store"
)

// Epoch is the LastUpdated of version 1 of the suite's resources; version n
// is n-1 minutes later. Times have millisecond precision, as stored.
var Epoch = time.Date(2024, 3, 1, 9, 30, 0, 123_000_000, time.UTC)

// Updated is the LastUpdated the suite gives version vid.
func Updated(vid int64) time.Time { return Epoch.Add(time.Duration(vid-1) * time.Minute) }

// Body is a small JSON body that names its resource and version, so that a
// test can tell versions apart by content.
func Body(typ, id string, vid int64) []byte {
	return fmt.Appendf(nil, `{"resourceType":%q,"id":%q,"meta":{"versionId":"%d"}}`, typ, id, vid)
}

// Version is a live Write of version vid with Body and Updated.
func Version(typ, id string, vid int64, index ...store.IndexEntry) store.Write {
	return store.Write{
		Resource: store.Resource{Type: typ, ID: id, VersionID: vid, LastUpdated: Updated(vid), Body: Body(typ, id, vid)},
		Index:    index,
	}
}

// Deletion is the deletion marker that is version vid.
func Deletion(typ, id string, vid int64) store.Write {
	return store.Write{Resource: store.Resource{Type: typ, ID: id, VersionID: vid, LastUpdated: Updated(vid), Deleted: true}}
}

// Index entry builders, one per shape of search parameter.

// Str is a string parameter's entry; value is taken as already folded.
func Str(param, value string) store.IndexEntry {
	return store.IndexEntry{Param: param, Code: value, Text: value}
}

// Token is a token entry.
func Token(param, system, code string) store.IndexEntry {
	return store.IndexEntry{Param: param, System: system, Code: code}
}

// Ref is a reference entry to typ/id.
func Ref(param, typ, id string) store.IndexEntry {
	return store.IndexEntry{Param: param, System: typ, Code: id}
}

// Range is a date or number entry covering [lo, hi].
func Range(param string, lo, hi float64) store.IndexEntry {
	return store.IndexEntry{Param: param, Lo: &lo, Hi: &hi}
}

// Quantity is a quantity entry of an exact value.
func Quantity(param string, value float64, system, unit string) store.IndexEntry {
	return store.IndexEntry{Param: param, Lo: &value, Hi: &value, Unit: unit, UnitSystem: system}
}

// Day returns the range of one UTC day in Unix milliseconds, as date entries hold it.
func Day(year, month, day int) (lo, hi float64) {
	start := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	return float64(start.UnixMilli()), float64(start.AddDate(0, 0, 1).UnixMilli() - 1)
}

// Fixture is a resource for search tests. Seed stores it as version 1, then a
// deletion marker as version 2 when Deleted is set.
type Fixture struct {
	Type, ID string
	Index    []store.IndexEntry
	Sort     map[string]any
	Deleted  bool
}

// Seed stores the fixtures in one Commit and fails the test on any error.
func Seed(t testing.TB, s store.Store, fixtures ...Fixture) {
	t.Helper()
	var writes []store.Write
	for _, f := range fixtures {
		w := Version(f.Type, f.ID, 1, f.Index...)
		w.Sort = f.Sort
		writes = append(writes, w)
		if f.Deleted {
			writes = append(writes, Deletion(f.Type, f.ID, 2))
		}
	}
	Put(t, s, writes...)
}

// Put stores the writes in one Commit, one unit each, in order, and fails the
// test on any error.
func Put(t testing.TB, s store.Store, writes ...store.Write) {
	t.Helper()
	units := make([]func(store.Tx) error, len(writes))
	for i, w := range writes {
		units[i] = func(tx store.Tx) error { return tx.Put(w) }
	}
	results, err := s.Commit(context.Background(), units, noFinish)
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	for i, err := range results {
		if err != nil {
			t.Fatalf("put %s/%s v%d: %v", writes[i].Resource.Type, writes[i].Resource.ID, writes[i].Resource.VersionID, err)
		}
	}
}

func noFinish(store.Tx, []error) error { return nil }

// IDs returns the ids of resources, in order.
func IDs(rs []store.Resource) []string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids
}

// SearchIDs runs q (with Count 1000 when it has none) and returns the ids of
// the page, failing the test on error.
func SearchIDs(t testing.TB, r store.Reader, q store.Query) []string {
	t.Helper()
	if q.Count == 0 {
		q.Count = 1000
	}
	res, err := r.Search(context.Background(), &q)
	if err != nil {
		t.Fatalf("search %s %v: %v", q.Type, q.Where, err)
	}
	return IDs(res.Resources)
}

// sorted returns a sorted copy, for expectations written in any order.
func sorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out
}

package mongo

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"

	"github.com/clinic/ehr/internal/store"
)

// TestQueriesUseIndexes checks that the filter of every golden query (the
// suite's typical cases) can be served by a declared index on a real
// MongoDB: each positive condition on idx is an $elemMatch whose fields all
// lie in one index that starts with type and idx.p, so that MongoDB bounds
// them together on one array element; id conditions use {type, id}; every
// branch of an $or is itself covered. Negations ($nor, $not) cannot narrow
// an index scan and are checked after the positive conditions.
func TestQueriesUseIndexes(t *testing.T) {
	for _, tc := range loadGolden(t) {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			filter, _, err := translateGolden(tc.input)
			if err != nil {
				t.Fatal(err)
			}
			if !hasTypeEquality(filter) {
				t.Fatalf("filter does not select the type: %v", filter)
			}
			if err := covered(filter, Indexes); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestSortsUseIndexes checks that each indexed sort, forwards and backwards
// (for previous pages), is the key order of an index after type.
func TestSortsUseIndexes(t *testing.T) {
	var cases [][]store.SortKey
	cases = append(cases, nil) // by id
	for _, p := range DefaultSortParams {
		cases = append(cases, []store.SortKey{{Param: p}}, []store.SortKey{{Param: p, Desc: true}})
	}
	for _, keys := range cases {
		for _, reverse := range []bool{false, true} {
			spec := sortSpec(keys, reverse)
			t.Run(fmt.Sprintf("%v reverse=%t", keys, reverse), func(t *testing.T) {
				if !sortIndexed(spec, Indexes) {
					t.Fatalf("no index serves the sort %v", spec)
				}
			})
		}
	}
}

func TestIndexesAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, ix := range Indexes {
		key := ix.Collection + fmt.Sprint(ix.Keys)
		if seen[key] {
			t.Errorf("index %s declared twice", key)
		}
		seen[key] = true
		if ix.Search && ix.Unique {
			t.Errorf("index %s: a unique index must exist on lungo too", key)
		}
	}
}

// TestUniqueIndexesOnLungo checks that the indexes that keep storage
// consistent across processes exist on the embedded engine as well.
func TestUniqueIndexesOnLungo(t *testing.T) {
	s := openMemory(t)
	ctx := context.Background()
	put(t, s, version("Patient", "a", 1))
	tests := []struct {
		name string
		coll lungo.ICollection
		doc  bson.D
	}{
		{"resource type and id", s.resources, bson.D{{Key: "_id", Value: "other"}, {Key: "type", Value: "Patient"}, {Key: "id", Value: "a"}}},
		{"history version", s.history, bson.D{{Key: "_id", Value: "other"}, {Key: "type", Value: "Patient"}, {Key: "id", Value: "a"}, {Key: "vid", Value: int64(1)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.coll.InsertOne(ctx, tt.doc); !isConflict(err) {
				t.Fatalf("duplicate insert: %v, want a duplicate key error", err)
			}
		})
	}
}

func TestOpenTwiceKeepsIndexes(t *testing.T) {
	path := "lungo:" + filepath.Join(t.TempDir(), "db")
	for range 2 {
		s, err := Open(context.Background(), path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func hasTypeEquality(filter bson.D) bool {
	for _, e := range conjuncts(filter) {
		if e.Key == "type" {
			return true
		}
	}
	return false
}

// conjuncts flattens top-level $and into one list of conditions.
func conjuncts(filter bson.D) []bson.E {
	var out []bson.E
	for _, e := range filter {
		if e.Key != "$and" {
			out = append(out, e)
			continue
		}
		for _, sub := range e.Value.(bson.A) {
			out = append(out, conjuncts(sub.(bson.D))...)
		}
	}
	return out
}

func covered(filter bson.D, specs []IndexSpec) error {
	for _, e := range conjuncts(filter) {
		switch e.Key {
		case "type", "deleted", "$nor":
			// type leads every index; deleted and negations are
			// checked on the fetched documents
		case "_id":
			// the _id index
		case "id":
			if !hasIndex(specs, "type", "id") {
				return fmt.Errorf("no index on {type, id}")
			}
		case "idx":
			if err := elemCovered(e.Value.(bson.D), specs); err != nil {
				return err
			}
		case "$or":
			for _, branch := range e.Value.(bson.A) {
				if err := covered(branch.(bson.D), specs); err != nil {
					return fmt.Errorf("$or branch: %w", err)
				}
			}
		default:
			return fmt.Errorf("condition on %q has no index", e.Key)
		}
	}
	return nil
}

// elemCovered checks an idx condition: $not is a negation; an $elemMatch
// needs one index holding type, idx.p and every matched field.
func elemCovered(cond bson.D, specs []IndexSpec) error {
	if cond[0].Key == "$not" {
		return nil
	}
	elem := cond[0].Value.(bson.D)
	var fields []string
	for _, f := range elem {
		fields = append(fields, "idx."+f.Key)
	}
	for _, ix := range specs {
		if ix.Collection != colResources || len(ix.Keys) < 2 || ix.Keys[0].Key != "type" || ix.Keys[1].Key != "idx.p" {
			continue
		}
		var keys []string
		for _, k := range ix.Keys {
			keys = append(keys, k.Key)
		}
		if allIn(fields, keys) {
			return nil
		}
	}
	return fmt.Errorf("no index holds type and %s", strings.Join(fields, ", "))
}

func allIn(fields, keys []string) bool {
	for _, f := range fields {
		if !slices.Contains(keys, f) {
			return false
		}
	}
	return true
}

func hasIndex(specs []IndexSpec, fields ...string) bool {
	for _, ix := range specs {
		if ix.Collection != colResources || len(ix.Keys) < len(fields) {
			continue
		}
		ok := true
		for i, f := range fields {
			ok = ok && ix.Keys[i].Key == f
		}
		if ok {
			return true
		}
	}
	return false
}

// sortIndexed reports whether an index is {type} followed by spec, read
// forwards or backwards.
func sortIndexed(spec bson.D, specs []IndexSpec) bool {
	for _, ix := range specs {
		if ix.Collection != colResources || len(ix.Keys) != len(spec)+1 || ix.Keys[0].Key != "type" {
			continue
		}
		same, mirrored := true, true
		for i, e := range spec {
			k := ix.Keys[i+1]
			dir, want := k.Value.(int32), e.Value.(int32)
			same = same && k.Key == e.Key && dir == want
			mirrored = mirrored && k.Key == e.Key && dir == -want
		}
		if same || mirrored {
			return true
		}
	}
	return false
}

// TestCoverageCheckBites makes sure the coverage check fails without the
// index that a query needs.
func TestCoverageCheckBites(t *testing.T) {
	tests := []struct {
		name, input string
		drop        string // first key after idx.p of the index to leave out
	}{
		{"date without the range index", `(match birthdate (ge lo 1) (le hi 2))`, "idx.lo"},
		{"token without the code index", `(match code (eq s "x") (eq c "y"))`, "idx.c"},
		{"or branch", `(or (id "a") (match birthdate (ge lo 1)))`, "idx.lo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var specs []IndexSpec
			for _, ix := range Indexes {
				if len(ix.Keys) > 2 && ix.Keys[2].Key == tt.drop {
					continue
				}
				specs = append(specs, ix)
			}
			filter, _, err := translateGolden(tt.input)
			if err != nil {
				t.Fatal(err)
			}
			if err := covered(filter, specs); err == nil {
				t.Fatalf("%s counted as covered without %s", tt.input, tt.drop)
			}
		})
	}
}

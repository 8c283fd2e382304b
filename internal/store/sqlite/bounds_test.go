package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
	"github.com/clinic/ehr/internal/store/storetest"
)

func TestLowEndOf(t *testing.T) {
	ge := func(f search.Field, v float64) search.Cond { return search.Cond{Field: f, Op: search.OpGe, Value: v} }
	lt := func(f search.Field, v float64) search.Cond { return search.Cond{Field: f, Op: search.OpLt, Value: v} }
	le := func(f search.Field, v float64) search.Cond { return search.Cond{Field: f, Op: search.OpLe, Value: v} }
	date := func(conds ...search.Cond) search.Match { return search.Match{Param: "date", Conds: conds} }
	single := fixedShapes{{param: "date"}: {width: 10}}
	cases := []struct {
		name     string
		m        search.Match
		siblings []search.Match
		shapes   shapeSource
		want     []search.Cond // implied beyond m's own
		rank     rank
	}{
		{"lo window", date(ge(search.FieldLo, 100), lt(search.FieldLo, 200)), nil, nil, nil, rankRange},
		{"lo half", date(lt(search.FieldLo, 200)), nil, nil, nil, rankHalfRange},
		{"hi without shape", date(ge(search.FieldHi, 100)), nil, nil, nil, rankOther},
		{"hi with width", date(ge(search.FieldHi, 100)), nil, single, []search.Cond{ge(search.FieldLo, below(100, 10))}, rankHalfRange},
		{"eq bounds lo by hi", date(ge(search.FieldLo, 100), le(search.FieldHi, 200)), nil, single, []search.Cond{le(search.FieldLo, 200)}, rankRange},
		{"eq without shape", date(ge(search.FieldLo, 100), le(search.FieldHi, 200)), nil, nil, nil, rankHalfRange},
		{"sibling of single", date(ge(search.FieldHi, 100)), []search.Match{date(lt(search.FieldLo, 200))}, single,
			[]search.Cond{ge(search.FieldLo, below(100, 10)), lt(search.FieldLo, 200)}, rankRange},
		{"sibling of multi", date(ge(search.FieldHi, 100)), []search.Match{date(lt(search.FieldLo, 200))},
			fixedShapes{{param: "date"}: {width: 10, multi: true}}, []search.Cond{ge(search.FieldLo, below(100, 10))}, rankHalfRange},
		{"entries without lo", date(ge(search.FieldHi, 100)), nil,
			fixedShapes{{param: "date"}: {width: 10, loless: true}}, nil, rankOther},
		{"own bound tighter", date(ge(search.FieldLo, 150), ge(search.FieldHi, 100), lt(search.FieldLo, 200)), nil, single, nil, rankRange},
		{"canonical", search.Match{Param: "q", Conds: []search.Cond{ge(search.FieldCHi, 5)}}, nil,
			fixedShapes{{param: "q", canonical: true}: {width: 1}}, []search.Cond{ge(search.FieldCLo, below(5, 1))}, rankHalfRange},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := lowEndOf(c.m, c.siblings, c.shapes)
			if err != nil {
				t.Fatal(err)
			}
			if got := l.implied(c.m); !slices.Equal(got, c.want) {
				t.Errorf("implied = %v, want %v", got, c.want)
			}
			if got := rankOf(c.m, l); got != c.rank {
				t.Errorf("rank = %d, want %d", got, c.rank)
			}
		})
	}
}

func TestRankOf(t *testing.T) {
	eq := func(f search.Field, v string) search.Cond { return search.Cond{Field: f, Op: search.OpEq, Value: v} }
	cases := []struct {
		m    search.Match
		want rank
	}{
		{search.Match{Param: "subject", Conds: []search.Cond{eq(search.FieldSystem, "Patient"), eq(search.FieldCode, "p1")}}, rankReference},
		{search.Match{Param: "code", Conds: []search.Cond{eq(search.FieldSystem, "http://loinc.org"), eq(search.FieldCode, "8867-4")}}, rankToken},
		{search.Match{Param: "category", Conds: []search.Cond{eq(search.FieldCode, "vital-signs")}}, rankBroad},
		{search.Match{Param: "status", Conds: []search.Cond{eq(search.FieldCode, "final")}}, rankBroad},
		{search.Match{Param: "family", Conds: []search.Cond{{Field: search.FieldCode, Op: search.OpPrefix, Value: "smi"}}}, rankPrefix},
		{search.Match{Param: "family", Conds: []search.Cond{{Field: search.FieldCode, Op: search.OpContains, Value: "mi"}}}, rankOther},
	}
	for _, c := range cases {
		if got := rankOf(c.m, lowEnd{}); got != c.want {
			t.Errorf("rankOf(%s) = %d, want %d", c.m, got, c.want)
		}
	}
}

// TestRangeBoundsResults checks that the bounds a driver takes from the
// stored shapes never change a result: each query's matches equal the
// in-memory evaluation of the same entries (search.MatchEntries): before the
// shapes are read from the table, after, after writes that widen them (a
// wider entry, a second entry in one resource, an entry without a low end),
// and after reopening, when the table holds all of those.
func TestRangeBoundsResults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ehr.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	day := func(d int) float64 { lo, _ := storetest.Day(2025, 3, d); return lo }
	const hour = 3_600_000.0
	all := map[string][]store.IndexEntry{}
	put := func(id string, vid int64, entries ...store.IndexEntry) {
		t.Helper()
		storetest.Put(t, s, storetest.Version("Observation", id, vid, entries...))
		all[id] = entries
	}
	vital := storetest.Token("category", "http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs")
	for i := range 40 {
		at := day(1+i%20) + float64(i%24)*hour
		put(fmt.Sprintf("o%02d", i), 1, vital, storetest.Range("date", at, at+999),
			storetest.Ref("subject", "Patient", fmt.Sprintf("p%d", i%4)))
	}

	ge := func(f search.Field, v float64) search.Cond { return search.Cond{Field: f, Op: search.OpGe, Value: v} }
	lt := func(f search.Field, v float64) search.Cond { return search.Cond{Field: f, Op: search.OpLt, Value: v} }
	le := func(f search.Field, v float64) search.Cond { return search.Cond{Field: f, Op: search.OpLe, Value: v} }
	date := func(conds ...search.Cond) search.Match { return search.Match{Param: "date", Conds: conds} }
	category := search.Match{Param: "category", Conds: []search.Cond{
		{Field: search.FieldSystem, Op: search.OpEq, Value: "http://terminology.hl7.org/CodeSystem/observation-category"},
		{Field: search.FieldCode, Op: search.OpEq, Value: "vital-signs"}}}
	patient := search.Match{Param: "subject", Conds: []search.Cond{
		{Field: search.FieldSystem, Op: search.OpEq, Value: "Patient"}, {Field: search.FieldCode, Op: search.OpEq, Value: "p1"}}}
	queries := []search.Expr{
		search.And{category, date(ge(search.FieldHi, day(5))), date(lt(search.FieldLo, day(6)))},
		search.And{date(ge(search.FieldHi, day(5))), date(lt(search.FieldLo, day(9)))},
		search.And{patient, date(ge(search.FieldHi, day(3))), date(lt(search.FieldLo, day(12)))},
		date(ge(search.FieldHi, day(15))),
		date(le(search.FieldHi, day(4))),
		date(ge(search.FieldLo, day(7)), le(search.FieldHi, day(8)-1)),
		search.And{category, search.Not{X: date(ge(search.FieldLo, day(2)), le(search.FieldHi, day(10)))}},
		search.And{patient, search.Or{date(lt(search.FieldLo, day(3))), date(ge(search.FieldHi, day(18)))}},
	}
	check := func(phase string) {
		t.Helper()
		for _, q := range queries {
			var want []string
			for id, entries := range all {
				if ok, _ := search.MatchEntries(q, id, entries); ok {
					want = append(want, id)
				}
			}
			slices.Sort(want)
			res, err := s.Search(context.Background(), &store.Query{Type: "Observation", Where: q, Count: 1000, Total: true})
			if err != nil {
				t.Fatalf("%s: %s: %v", phase, q, err)
			}
			var got []string
			for _, r := range res.Resources {
				got = append(got, r.ID)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) || res.Total != len(want) {
				t.Errorf("%s: %s\n got %v (total %d)\nwant %v", phase, q, got, res.Total, want)
			}
		}
	}
	check("shapes unknown") // starts reading them: one entry each, a second wide
	s.stats.loads.Wait()
	check("narrow single entries")

	// A long Period from day 1 to day 19 matches every day between.
	put("long", 1, vital, storetest.Range("date", day(1), day(19)), storetest.Ref("subject", "Patient", "p1"))
	check("a wide entry")
	// An entry before day 5 and one after day 6: none is on day 5, but each
	// bound of "ge day 5 & lt day 6" holds on one of them.
	put("straddle", 1, vital, storetest.Range("date", day(2), day(2)+999), storetest.Range("date", day(17), day(17)+999))
	check("two entries in one resource")
	// An entry with a high end only is outside idx_range.
	hi := day(16)
	put("hionly", 1, vital, store.IndexEntry{Param: "date", Hi: &hi})
	check("an entry without a low end")

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	check("reopened, shapes unknown")
	s.stats.loads.Wait()
	check("reopened")
}

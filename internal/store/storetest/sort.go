package storetest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// sortFixtures have a string key (name) and a numeric key (n), with ties and
// missing values. s11 is deleted and must never show.
func sortFixtures() []Fixture {
	type row struct {
		id   string
		name any
		n    any
	}
	data := []row{
		{"s01", "delta", 3.0},
		{"s02", "alpha", 1.0},
		{"s03", "charlie", nil},
		{"s04", "alpha", 2.0},
		{"s05", nil, 5.0},
		{"s06", "bravo", 2.0},
		{"s07", "alpha", nil},
		{"s08", nil, nil},
		{"s09", "echo", -1.5},
		{"s10", "bravo", 10.0},
		{"s11", "aaa", 0.0},
	}
	out := make([]Fixture, len(data))
	for i, d := range data {
		sortValues := map[string]any{}
		if d.name != nil {
			sortValues["name"] = d.name
		}
		if d.n != nil {
			sortValues["n"] = d.n
		}
		out[i] = Fixture{Type: "Sorted", ID: d.id, Sort: sortValues, Deleted: d.id == "s11",
			Index: []store.IndexEntry{Token("tag", "", "all")}}
	}
	return out
}

type sortCase struct {
	name  string
	sort  []store.SortKey
	where search.Expr
	want  []string // written by hand where given; else computed by expectOrder
}

func sortCases() []sortCase {
	return []sortCase{
		{name: "ByID"},
		{name: "NameAsc", sort: []store.SortKey{{Param: "name"}},
			want: []string{"s02", "s04", "s07", "s06", "s10", "s03", "s01", "s09", "s05", "s08"}},
		{name: "NameDesc", sort: []store.SortKey{{Param: "name", Desc: true}},
			want: []string{"s09", "s01", "s03", "s06", "s10", "s02", "s04", "s07", "s05", "s08"}},
		{name: "NumberAsc", sort: []store.SortKey{{Param: "n"}},
			want: []string{"s09", "s02", "s04", "s06", "s01", "s05", "s10", "s03", "s07", "s08"}},
		{name: "NumberDesc", sort: []store.SortKey{{Param: "n", Desc: true}},
			want: []string{"s10", "s05", "s01", "s04", "s06", "s02", "s09", "s03", "s07", "s08"}},
		{name: "NameAscNumberDesc", sort: []store.SortKey{{Param: "name"}, {Param: "n", Desc: true}},
			want: []string{"s04", "s02", "s07", "s10", "s06", "s03", "s01", "s09", "s05", "s08"}},
		{name: "NumberAscNameDesc", sort: []store.SortKey{{Param: "n"}, {Param: "name", Desc: true}}},
		{name: "NameDescNumberAsc", sort: []store.SortKey{{Param: "name", Desc: true}, {Param: "n"}}},
		{name: "UnknownKey", sort: []store.SortKey{{Param: "nothing"}}},
		{name: "FilteredNameAsc", sort: []store.SortKey{{Param: "name"}}, where: search.Not{X: search.IDIn{"s04", "s08"}}},
	}
}

func testSort(t *testing.T, open Opener) {
	s := open(t)
	fixtures := sortFixtures()
	Seed(t, s, fixtures...)
	for _, c := range sortCases() {
		t.Run(c.name, func(t *testing.T) {
			want := expectOrder(fixtures, c)
			if c.want != nil && !slices.Equal(c.want, want) {
				t.Fatalf("the suite's reference order %v disagrees with the hand-written %v", want, c.want)
			}
			got := SearchIDs(t, s, store.Query{Type: "Sorted", Where: c.where, Sort: c.sort})
			if !slices.Equal(got, want) {
				t.Fatalf("order\n got %v\nwant %v", got, want)
			}
		})
	}
}

func testPaging(t *testing.T, open Opener) {
	s := open(t)
	fixtures := sortFixtures()
	Seed(t, s, fixtures...)

	for _, c := range sortCases() {
		for _, count := range []int{2, 3} {
			t.Run(fmt.Sprintf("Walk%s/Count%d", c.name, count), func(t *testing.T) {
				checkWalk(t, s, store.Query{Type: "Sorted", Where: c.where, Sort: c.sort, Count: count}, expectOrder(fixtures, c))
			})
		}
	}

	t.Run("CountLimits", func(t *testing.T) {
		res := search1(t, s, store.Query{Type: "Sorted", Count: 4})
		if got := IDs(res.Resources); !slices.Equal(got, []string{"s01", "s02", "s03", "s04"}) || res.Next == nil {
			t.Fatalf("Count 4 = %v (Next %v), want the first four ids and a Next cursor", got, res.Next)
		}
		res = search1(t, s, store.Query{Type: "Sorted", Count: 10})
		if len(res.Resources) != 10 || res.Next != nil {
			t.Fatalf("Count 10 of 10 = %d resources, Next %v; want all and no Next", len(res.Resources), res.Next)
		}
	})

	t.Run("Total", func(t *testing.T) {
		filter := search.Not{X: search.IDIn{"s01"}}
		cases := []struct {
			name  string
			q     store.Query
			total int
			page  int
		}{
			{"NotAsked", store.Query{Count: 3}, -1, 3},
			{"Asked", store.Query{Count: 3, Total: true}, 10, 3},
			{"AskedWithFilter", store.Query{Count: 3, Total: true, Where: filter}, 9, 3},
			{"AskedOnLaterPage", store.Query{Count: 3, Total: true, Sort: []store.SortKey{{Param: "n"}},
				After: &store.Cursor{Values: []any{2.0}, ID: "s06"}}, 10, 3},
			{"CountZeroOnlyCounts", store.Query{Count: 0, Total: true}, 10, 0},
			{"CountZeroWithFilter", store.Query{Count: 0, Total: true, Where: filter}, 9, 0},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				c.q.Type = "Sorted"
				res := search1(t, s, c.q)
				if res.Total != c.total || len(res.Resources) != c.page {
					t.Fatalf("Total %d with %d resources, want %d with %d", res.Total, len(res.Resources), c.total, c.page)
				}
				if c.q.Count == 0 && (res.Next != nil || res.Prev != nil) {
					t.Fatalf("a count-only search returned cursors")
				}
			})
		}
	})

	t.Run("CursorBeyondEnd", func(t *testing.T) {
		// Beyond every row in either kind of row order: by id, or by row.
		res := search1(t, s, store.Query{Type: "Sorted", Count: 3, After: &store.Cursor{ID: "s99", Row: math.MaxInt64}})
		if len(res.Resources) != 0 || res.Next != nil {
			t.Fatalf("after the last id = %v, Next %v; want nothing", IDs(res.Resources), res.Next)
		}
	})
}

// checkWalk pages forwards through q with Next cursors, then backwards from
// the last page with Prev cursors: each page reached backwards must be the
// page before in the requested order (Prev of page 3 is page 2), and the
// first page must have no Prev.
func checkWalk(t *testing.T, s store.Store, q store.Query, want []string) {
	t.Helper()
	pages := walk(t, s, q)
	var got []string
	for _, p := range pages {
		got = append(got, IDs(p.Resources)...)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages joined\n got %v\nwant %v", got, want)
	}
	if pages[0].Prev != nil {
		t.Errorf("the first page has a Prev cursor")
	}
	if pages[len(pages)-1].Next != nil {
		t.Errorf("the last page has a Next cursor")
	}
	for i := 1; i < len(pages)-1; i++ {
		if pages[i].Prev == nil || pages[i].Next == nil {
			t.Errorf("page %d: Prev %v, Next %v; want both", i+1, pages[i].Prev, pages[i].Next)
		}
	}

	back := pages[len(pages)-1]
	for i := len(pages) - 2; i >= 0; i-- {
		if back.Prev == nil {
			t.Fatalf("page %d reached backwards has no Prev cursor", i+2)
		}
		q.After, q.Before = nil, roundTrip(t, back.Prev)
		back = search1(t, s, q)
		if !slices.Equal(IDs(back.Resources), IDs(pages[i].Resources)) {
			t.Fatalf("Prev of page %d = %v, want page %d %v", i+2, IDs(back.Resources), i+1, IDs(pages[i].Resources))
		}
		if back.Next == nil {
			t.Fatalf("page %d reached backwards has no Next cursor", i+1)
		}
	}
	if back.Prev != nil {
		t.Errorf("the first page reached backwards has a Prev cursor")
	}
	// And forwards again from a page reached backwards.
	q.Before, q.After = nil, roundTrip(t, back.Next)
	if again := search1(t, s, q); !slices.Equal(IDs(again.Resources), IDs(pages[1].Resources)) {
		t.Fatalf("Next of page 1 reached backwards = %v, want page 2 %v", IDs(again.Resources), IDs(pages[1].Resources))
	}
}

// walk follows Next cursors (through JSON, as a client would hold them) from
// the first page to the last, and fails on a repeated id.
func walk(t *testing.T, s store.Store, q store.Query) []*store.SearchResult {
	t.Helper()
	var pages []*store.SearchResult
	seen := map[string]bool{}
	for {
		res := search1(t, s, q)
		for _, r := range res.Resources {
			if seen[r.ID] {
				t.Fatalf("page %d repeats %s", len(pages)+1, r.ID)
			}
			seen[r.ID] = true
		}
		pages = append(pages, res)
		if res.Next == nil {
			return pages
		}
		if len(pages) > 100 {
			t.Fatal("more than 100 pages")
		}
		if len(res.Resources) == 0 {
			t.Fatal("an empty page with a Next cursor")
		}
		q.After = roundTrip(t, res.Next)
	}
}

func search1(t *testing.T, s store.Reader, q store.Query) *store.SearchResult {
	t.Helper()
	res, err := s.Search(t.Context(), &q)
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	return res
}

// roundTrip passes a cursor through JSON, as the engine's opaque links do.
func roundTrip(t *testing.T, c *store.Cursor) *store.Cursor {
	t.Helper()
	if c == nil {
		return nil
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatalf("marshal cursor: %v", err)
	}
	var out store.Cursor
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("unmarshal cursor %s: %v", b, err)
	}
	return &out
}

// expectOrder is the reference order of a sort case over the fixtures: live
// resources that pass the case's filter, by each key with missing values
// last in both directions, then by id.
func expectOrder(fixtures []Fixture, c sortCase) []string {
	excluded := map[string]bool{}
	if not, ok := c.where.(search.Not); ok {
		for _, id := range not.X.(search.IDIn) {
			excluded[id] = true
		}
	} else if c.where != nil {
		panic(fmt.Sprintf("expectOrder: unsupported filter %v", c.where))
	}
	var live []Fixture
	for _, f := range fixtures {
		if !f.Deleted && !excluded[f.ID] {
			live = append(live, f)
		}
	}
	slices.SortFunc(live, func(a, b Fixture) int {
		for _, k := range c.sort {
			if r := compareSortValues(a.Sort[k.Param], b.Sort[k.Param], k.Desc); r != 0 {
				return r
			}
		}
		return cmp.Compare(a.ID, b.ID)
	})
	ids := make([]string, len(live))
	for i, f := range live {
		ids[i] = f.ID
	}
	return ids
}

func compareSortValues(a, b any, desc bool) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	var r int
	switch a := a.(type) {
	case string:
		r = cmp.Compare(a, b.(string))
	case float64:
		r = cmp.Compare(a, b.(float64))
	}
	if desc {
		r = -r
	}
	return r
}

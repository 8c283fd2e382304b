package mongo

import (
	"context"
	"slices"
	"testing"

	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// seedSorted stores patients with a family name (two without) and a birth
// date, for sort and paging rows.
func seedSorted(t *testing.T, s *Store) {
	t.Helper()
	rows := []struct {
		id     string
		family any
		birth  any
	}{
		{"a", "lee", 300.0},
		{"b", nil, 100.0},
		{"c", "adams", nil},
		{"d", "lee", 200.0},
		{"e", nil, nil},
		{"f", "zed", 100.0},
	}
	var writes []store.Write
	for _, r := range rows {
		w := version("Patient", r.id, 1, str("name", "x"))
		w.Sort = map[string]any{"family": r.family, "birthdate": r.birth}
		writes = append(writes, w)
	}
	put(t, s, writes...)
}

func TestSort(t *testing.T) {
	s := openMemory(t)
	seedSorted(t, s)
	tests := []struct {
		name string
		sort []store.SortKey
		want []string
	}{
		{"by id", nil, []string{"a", "b", "c", "d", "e", "f"}},
		{"asc, missing last", []store.SortKey{{Param: "family"}}, []string{"c", "a", "d", "f", "b", "e"}},
		{"desc, missing last", []store.SortKey{{Param: "family", Desc: true}}, []string{"f", "a", "d", "c", "b", "e"}},
		{"two keys", []store.SortKey{{Param: "family"}, {Param: "birthdate", Desc: true}}, []string{"c", "a", "d", "f", "b", "e"}},
		{"numbers", []store.SortKey{{Param: "birthdate"}}, []string{"b", "f", "d", "a", "c", "e"}},
		{"unknown param", []store.SortKey{{Param: "nope"}}, []string{"a", "b", "c", "d", "e", "f"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.Search(context.Background(), &store.Query{Type: "Patient", Sort: tt.sort, Count: 10})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(res.Resources); !slices.Equal(got, tt.want) {
				t.Fatalf("order = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestPaging walks every order forwards page by page, then backwards from
// the end, and checks that the pages join up to the full order.
func TestPaging(t *testing.T) {
	s := openMemory(t)
	seedSorted(t, s)
	ctx := context.Background()
	sorts := map[string][]store.SortKey{
		"by id":        nil,
		"family asc":   {{Param: "family"}},
		"family desc":  {{Param: "family", Desc: true}},
		"two keys":     {{Param: "family", Desc: true}, {Param: "birthdate"}},
		"birthdate":    {{Param: "birthdate"}},
		"with a match": {{Param: "birthdate", Desc: true}},
	}
	for name, keys := range sorts {
		for _, size := range []int{1, 2, 4} {
			t.Run(name, func(t *testing.T) {
				var where search.Expr
				if name == "with a match" {
					where = search.Match{Param: "name", Conds: []search.Cond{{Field: search.FieldCode, Op: search.OpContains, Value: "x"}}}
				}
				full, err := s.Search(ctx, &store.Query{Type: "Patient", Where: where, Sort: keys, Count: 100})
				if err != nil {
					t.Fatal(err)
				}
				want := ids(full.Resources)

				var got []string
				q := store.Query{Type: "Patient", Where: where, Sort: keys, Count: size}
				var last *store.SearchResult
				for pages := 0; ; pages++ {
					res, err := s.Search(ctx, &q)
					if err != nil {
						t.Fatal(err)
					}
					if (pages > 0) != (res.Prev != nil) {
						t.Fatalf("page %d: prev = %v", pages, res.Prev)
					}
					got = append(got, ids(res.Resources)...)
					last = res
					if res.Next == nil {
						break
					}
					q.After = res.Next
				}
				if !slices.Equal(got, want) {
					t.Fatalf("forward pages = %v, want %v", got, want)
				}

				// backwards from the last page
				var back []string
				back = append(ids(last.Resources), back...)
				q = store.Query{Type: "Patient", Where: where, Sort: keys, Count: size, Before: last.Prev}
				for q.Before != nil {
					res, err := s.Search(ctx, &q)
					if err != nil {
						t.Fatal(err)
					}
					if res.Next == nil {
						t.Fatal("a page before another has no next link")
					}
					back = append(ids(res.Resources), back...)
					q.Before = res.Prev
				}
				if !slices.Equal(back, want) {
					t.Fatalf("backward pages = %v, want %v", back, want)
				}
			})
		}
	}
}

func TestTotalOnly(t *testing.T) {
	s := openMemory(t)
	seedSorted(t, s)
	res, err := s.Search(context.Background(), &store.Query{Type: "Patient", Total: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 6 || len(res.Resources) != 0 || res.Next != nil {
		t.Fatalf("result = %+v", res)
	}
	res, err = s.Search(context.Background(), &store.Query{Type: "Patient", Count: 2})
	if err != nil || res.Total != -1 {
		t.Fatalf("total not asked = %d, %v", res.Total, err)
	}
}

func TestBadCursor(t *testing.T) {
	s := openMemory(t)
	_, err := s.Search(context.Background(), &store.Query{Type: "Patient", Count: 2,
		Sort: []store.SortKey{{Param: "family"}}, After: &store.Cursor{ID: "x"}})
	if err == nil {
		t.Fatal("a cursor without values for the sort keys was accepted")
	}
}

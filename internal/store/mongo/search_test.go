package mongo

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// seedSearch stores a few patients and observations for the search rows.
func seedSearch(t *testing.T, s *Store) {
	t.Helper()
	put(t, s,
		version("Patient", "p1", 1, str("name", "smith"), token("identifier", "urn:mrn", "111"), token("gender", "", "female"), rng("birthdate", 100, 199)),
		version("Patient", "p2", 1, str("name", "smythe"), token("identifier", "", "222"), token("gender", "", "male")),
		version("Patient", "p3", 1, str("name", "zoë"), token("gender", "", "other"), rng("birthdate", 300, 399)),
		version("Patient", "p4", 1, str("name", "$where"), store.IndexEntry{Param: "a.b", Code: "$ne"}),
		version("Patient", "gone", 1, str("name", "smith")),
		version("Patient", "gone", 2),
		version("Observation", "o1", 1, ref("subject", "Patient", "p1"), token("code", "http://loinc.org", "8867-4")),
		version("Observation", "o2", 1, ref("subject", "Patient", "p2"), token("code", "http://loinc.org", "9279-1")),
	)
	// mark "gone" deleted
	put(t, s, store.Write{Resource: store.Resource{Type: "Patient", ID: "gone", VersionID: 3, LastUpdated: epoch, Deleted: true}})
}

func eqc(f search.Field, v any) search.Cond { return search.Cond{Field: f, Op: search.OpEq, Value: v} }

func TestSearchRows(t *testing.T) {
	s := openMemory(t)
	seedSearch(t, s)
	name := func(op search.Op, v string) search.Expr {
		return search.Match{Param: "name", Conds: []search.Cond{{Field: search.FieldCode, Op: op, Value: v}}}
	}
	tests := []struct {
		name  string
		where search.Expr
		want  []string
	}{
		{"all", nil, []string{"p1", "p2", "p3", "p4"}},
		{"prefix", name(search.OpPrefix, "sm"), []string{"p1", "p2"}},
		{"prefix unicode", name(search.OpPrefix, "zo"), []string{"p3"}},
		{"prefix whole", name(search.OpPrefix, "zoë"), []string{"p3"}},
		{"contains", name(search.OpContains, "th"), []string{"p1", "p2"}},
		{"contains in or", search.Or{name(search.OpContains, "mit"), search.IDIn{"p3"}}, []string{"p1", "p3"}},
		{"not contains", search.Not{X: name(search.OpContains, "th")}, []string{"p3", "p4"}},
		{"token with system", search.Match{Param: "identifier", Conds: []search.Cond{eqc(search.FieldSystem, "urn:mrn"), eqc(search.FieldCode, "111")}}, []string{"p1"}},
		{"token without system", search.Match{Param: "identifier", Conds: []search.Cond{eqc(search.FieldSystem, ""), eqc(search.FieldCode, "222")}}, []string{"p2"}},
		{"token without system, has one", search.Match{Param: "identifier", Conds: []search.Cond{eqc(search.FieldSystem, ""), eqc(search.FieldCode, "111")}}, nil},
		{"lt includes empty", search.Match{Param: "identifier", Conds: []search.Cond{{Field: search.FieldSystem, Op: search.OpLt, Value: "a"}}}, []string{"p2"}},
		{"le empty", search.Match{Param: "identifier", Conds: []search.Cond{{Field: search.FieldSystem, Op: search.OpLe, Value: ""}}}, []string{"p2"}},
		{"gt empty", search.Match{Param: "identifier", Conds: []search.Cond{{Field: search.FieldSystem, Op: search.OpGt, Value: ""}}}, []string{"p1"}},
		{"range", search.Match{Param: "birthdate", Conds: []search.Cond{{Field: search.FieldLo, Op: search.OpGe, Value: 50.0}, {Field: search.FieldHi, Op: search.OpLe, Value: 250.0}}}, []string{"p1"}},
		{"one entry holds all", search.Match{Param: "birthdate", Conds: []search.Cond{{Field: search.FieldLo, Op: search.OpGe, Value: 150.0}, {Field: search.FieldHi, Op: search.OpLe, Value: 350.0}}}, nil},
		{"missing", search.Missing{Param: "birthdate", Missing: true}, []string{"p2", "p4"}},
		{"present", search.Missing{Param: "birthdate"}, []string{"p1", "p3"}},
		{"not", search.Not{X: search.Match{Param: "gender", Conds: []search.Cond{eqc(search.FieldCode, "male")}}}, []string{"p1", "p3", "p4"}},
		{"and", search.And{name(search.OpPrefix, "sm"), search.Missing{Param: "birthdate", Missing: true}}, []string{"p2"}},
		{"empty or", search.Or{}, nil},
		{"ids", search.IDIn{"p2", "gone", "zz"}, []string{"p2"}},
		{"chain", search.Chain{Param: "subject", Target: "Patient", Where: name(search.OpPrefix, "smi")}, nil}, // on Patient: no subject
		{"has", search.Has{Type: "Observation", Param: "subject", Where: search.Match{Param: "code", Conds: []search.Cond{eqc(search.FieldCode, "9279-1")}}}, []string{"p2"}},
		{"has any", search.Has{Type: "Observation", Param: "subject"}, []string{"p1", "p2"}},
		{"param with $", search.Match{Param: "name", Conds: []search.Cond{eqc(search.FieldCode, "$where")}}, []string{"p4"}},
		{"param with a dot", search.Match{Param: "a.b", Conds: []search.Cond{eqc(search.FieldCode, "$ne")}}, []string{"p4"}},
		{"dotted param is no path", search.Match{Param: "a"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.Search(context.Background(), &store.Query{Type: "Patient", Where: tt.where, Count: 100, Total: true})
			if err != nil {
				t.Fatal(err)
			}
			got := ids(res.Resources)
			if !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Fatalf("ids = %v, want %v", got, tt.want)
			}
			if res.Total != len(tt.want) {
				t.Fatalf("total = %d, want %d", res.Total, len(tt.want))
			}
		})
	}
}

func TestSearchChain(t *testing.T) {
	s := openMemory(t)
	seedSearch(t, s)
	where := search.Chain{Param: "subject", Target: "Patient", Where: search.Match{Param: "name", Conds: []search.Cond{{Field: search.FieldCode, Op: search.OpContains, Value: "myt"}}}}
	res, err := s.Search(context.Background(), &store.Query{Type: "Observation", Where: where, Count: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res.Resources); !slices.Equal(got, []string{"o2"}) {
		t.Fatalf("ids = %v, want [o2]", got)
	}
}

func TestSearchTooManyChained(t *testing.T) {
	s := openMemory(t)
	seedSearch(t, s)
	defer func(n int) { maxSubqueryIDs = n }(maxSubqueryIDs)
	maxSubqueryIDs = 1
	tests := []struct {
		name  string
		typ   string
		where search.Expr
	}{
		{"chain", "Observation", search.Chain{Param: "subject", Target: "Patient", Where: search.Match{Param: "name"}}},
		{"has", "Patient", search.Has{Type: "Observation", Param: "subject"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Search(context.Background(), &store.Query{Type: tt.typ, Where: tt.where, Count: 10})
			if !errors.Is(err, ErrTooManyMatches) {
				t.Fatalf("err = %v, want ErrTooManyMatches", err)
			}
		})
	}
}

func TestSearchInTx(t *testing.T) {
	s := openMemory(t)
	ctx := context.Background()
	var found []string
	_, err := s.Commit(ctx, []func(store.Tx) error{
		func(tx store.Tx) error { return tx.Put(version("Patient", "a", 1, str("name", "ann"))) },
		func(tx store.Tx) error {
			res, err := tx.Search(ctx, &store.Query{Type: "Patient", Where: search.Match{Param: "name"}, Count: 10})
			if err != nil {
				return err
			}
			found = ids(res.Resources)
			return nil
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(found, []string{"a"}) {
		t.Fatalf("a later unit found %v, want [a]", found)
	}
}

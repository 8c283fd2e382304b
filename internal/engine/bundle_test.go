package engine

import (
	"testing"

	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/search"
)

func TestNewEntry(t *testing.T) {
	cases := []struct {
		method, url string
		kind        fhirerr.Kind // "" when valid
		typ, id     string
		vid         int64
		query       string
		interaction string
		conditional bool
	}{
		{"POST", "Observation", "", "Observation", "", 0, "", "create", false},
		{"post", "/Observation", "", "Observation", "", 0, "", "create", false},
		{"PUT", "Patient/p1", "", "Patient", "p1", 0, "", "update", false},
		{"PUT", "Patient?identifier=http://x.org/mrn|7", "", "Patient", "", 0, "identifier=http://x.org/mrn|7", "update", true},
		{"DELETE", "Patient/p1", "", "Patient", "p1", 0, "", "delete", false},
		{"DELETE", "Patient?identifier=7", "", "Patient", "", 0, "identifier=7", "delete", true},
		{"GET", "Patient/p1", "", "Patient", "p1", 0, "", "read", false},
		{"HEAD", "Patient/p1", "", "Patient", "p1", 0, "", "read", false},
		{"GET", "Patient/p1/_history/3", "", "Patient", "p1", 3, "", "vread", false},
		{"GET", "Observation?code=http://loinc.org|718-7", "", "Observation", "", 0, "code=http://loinc.org|718-7", "search-type", false},
		{"GET", "AuditEvent?outcome=4", "", "AuditEvent", "", 0, "outcome=4", "search-type", false},
		{"POST", "Observation/o1", fhirerr.Invalid, "", "", 0, "", "", false},
		{"POST", "Observation?x=1", fhirerr.Invalid, "", "", 0, "", "", false},
		{"PUT", "Patient", fhirerr.Invalid, "", "", 0, "", "", false},
		{"PUT", "Patient/p1?x=1", fhirerr.Invalid, "", "", 0, "", "", false},
		{"PUT", "Patient/bad_id!", fhirerr.Invalid, "", "", 0, "", "", false},
		{"DELETE", "Patient", fhirerr.Invalid, "", "", 0, "", "", false},
		{"POST", "AuditEvent", fhirerr.NotAllowed, "", "", 0, "", "", false},
		{"POST", "Practitioner", fhirerr.NotFound, "", "", 0, "", "", false},
		{"PATCH", "Patient/p1", fhirerr.NotAllowed, "", "", 0, "", "", false},
		{"TRACE", "Patient/p1", fhirerr.Invalid, "", "", 0, "", "", false},
		{"GET", "http://other.example.org/fhir/Patient/p1", fhirerr.Invalid, "", "", 0, "", "", false},
		{"GET", "Patient/p1/_history/zero", fhirerr.NotFound, "", "", 0, "", "", false},
		{"GET", "Patient/p1/$everything", fhirerr.Invalid, "", "", 0, "", "", false},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.url, func(t *testing.T) {
			en, err := NewEntry(c.method, c.url)
			if c.kind != "" {
				if fhirerr.KindOf(err) != c.kind {
					t.Fatalf("error %v, want kind %s", err, c.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if en.Type != c.typ || en.ID != c.id || en.VID != c.vid || en.Query != c.query {
				t.Errorf("got %s %s %d %q", en.Type, en.ID, en.VID, en.Query)
			}
			if en.Interaction() != c.interaction || en.Conditional() != c.conditional {
				t.Errorf("interaction %s conditional %t", en.Interaction(), en.Conditional())
			}
		})
	}
	en, _ := NewEntry("POST", "Specimen")
	en.IfNoneExist = "accession=x|1"
	if !en.Conditional() {
		t.Error("a create with ifNoneExist is conditional")
	}
}

func TestEval(t *testing.T) {
	lo, hi := 10.0, 20.0
	idx := []search.IndexEntry{
		{Param: "identifier", System: "http://x.org/mrn", Code: "7"},
		{Param: "name", Text: "muller"},
		{Param: "birthdate", Lo: &lo, Hi: &hi},
	}
	tok := func(sys, code string) search.Expr {
		return search.Match{Param: "identifier", Conds: []search.Cond{
			{Field: search.FieldSystem, Op: search.OpEq, Value: sys}, {Field: search.FieldCode, Op: search.OpEq, Value: code}}}
	}
	date := func(op search.Op, v float64) search.Expr {
		return search.Match{Param: "birthdate", Conds: []search.Cond{{Field: search.FieldLo, Op: op, Value: v}}}
	}
	chain := search.Chain{Param: "subject", Target: "Patient", Where: tok("a", "b")}
	cases := []struct {
		name string
		x    search.Expr
		want truth
	}{
		{"token match", tok("http://x.org/mrn", "7"), yes},
		{"token other code", tok("http://x.org/mrn", "8"), no},
		{"conditions hold on one entry", search.Match{Param: "identifier", Conds: []search.Cond{
			{Field: search.FieldSystem, Op: search.OpEq, Value: "http://x.org/mrn"}, {Field: search.FieldText, Op: search.OpEq, Value: "muller"}}}, no},
		{"string prefix", search.Match{Param: "name", Conds: []search.Cond{{Field: search.FieldText, Op: search.OpPrefix, Value: "mul"}}}, yes},
		{"string contains", search.Match{Param: "name", Conds: []search.Cond{{Field: search.FieldText, Op: search.OpContains, Value: "ll"}}}, yes},
		{"date ge", date(search.OpGe, 10), yes},
		{"date gt", date(search.OpGt, 10), no},
		{"date lt", date(search.OpLt, 11), yes},
		{"number literal on a string field", search.Match{Param: "name", Conds: []search.Cond{{Field: search.FieldText, Op: search.OpEq, Value: 1.0}}}, no},
		{"id", search.IDIn{"a", "p1"}, yes},
		{"other id", search.IDIn{"a"}, no},
		{"missing true", search.Missing{Param: "gender", Missing: true}, yes},
		{"missing false", search.Missing{Param: "name", Missing: false}, yes},
		{"and", search.And{tok("http://x.org/mrn", "7"), search.IDIn{"p1"}}, yes},
		{"and with a false", search.And{tok("http://x.org/mrn", "7"), search.IDIn{"q"}}, no},
		{"or", search.Or{tok("x", "y"), search.IDIn{"p1"}}, yes},
		{"not", search.Not{X: search.IDIn{"p1"}}, no},
		{"chain is unknown", chain, unknown},
		{"not of unknown is unknown", search.Not{X: chain}, unknown},
		{"false and unknown is false", search.And{chain, search.IDIn{"q"}}, no},
		{"true or unknown is true", search.Or{chain, search.IDIn{"p1"}}, yes},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := eval(c.x, "p1", idx); got != c.want {
				t.Errorf("eval %s = %d, want %d", c.x, got, c.want)
			}
		})
	}
}

package search

import "testing"

func TestEvalEntries(t *testing.T) {
	lo, hi := 10.0, 20.0
	idx := []IndexEntry{
		{Param: "identifier", System: "http://x.org/mrn", Code: "7"},
		{Param: "name", Text: "muller"},
		{Param: "birthdate", Lo: &lo, Hi: &hi},
	}
	tok := func(sys, code string) Expr {
		return Match{Param: "identifier", Conds: []Cond{
			{Field: FieldSystem, Op: OpEq, Value: sys}, {Field: FieldCode, Op: OpEq, Value: code}}}
	}
	date := func(op Op, v float64) Expr {
		return Match{Param: "birthdate", Conds: []Cond{{Field: FieldLo, Op: op, Value: v}}}
	}
	chain := Chain{Param: "subject", Target: "Patient", Where: tok("a", "b")}
	cases := []struct {
		name string
		x    Expr
		want verdict
	}{
		{"token match", tok("http://x.org/mrn", "7"), yes},
		{"token other code", tok("http://x.org/mrn", "8"), no},
		{"conditions hold on one entry", Match{Param: "identifier", Conds: []Cond{
			{Field: FieldSystem, Op: OpEq, Value: "http://x.org/mrn"}, {Field: FieldText, Op: OpEq, Value: "muller"}}}, no},
		{"string prefix", Match{Param: "name", Conds: []Cond{{Field: FieldText, Op: OpPrefix, Value: "mul"}}}, yes},
		{"string contains", Match{Param: "name", Conds: []Cond{{Field: FieldText, Op: OpContains, Value: "ll"}}}, yes},
		{"date ge", date(OpGe, 10), yes},
		{"date gt", date(OpGt, 10), no},
		{"date lt", date(OpLt, 11), yes},
		{"number literal on a string field", Match{Param: "name", Conds: []Cond{{Field: FieldText, Op: OpEq, Value: 1.0}}}, no},
		{"id", IDIn{"a", "p1"}, yes},
		{"other id", IDIn{"a"}, no},
		{"missing true", Missing{Param: "gender", Missing: true}, yes},
		{"missing false", Missing{Param: "name", Missing: false}, yes},
		{"and", And{tok("http://x.org/mrn", "7"), IDIn{"p1"}}, yes},
		{"and with a false", And{tok("http://x.org/mrn", "7"), IDIn{"q"}}, no},
		{"or", Or{tok("x", "y"), IDIn{"p1"}}, yes},
		{"not", Not{X: IDIn{"p1"}}, no},
		{"chain is unknown", chain, unknown},
		{"not of unknown is unknown", Not{X: chain}, unknown},
		{"false and unknown is false", And{chain, IDIn{"q"}}, no},
		{"true or unknown is true", Or{chain, IDIn{"p1"}}, yes},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := evalEntries(c.x, "p1", idx); got != c.want {
				t.Errorf("eval %s = %d, want %d", c.x, got, c.want)
			}
		})
	}
}

package storetest

import (
	"slices"
	"testing"

	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// Literal values and parameter names that mean something to SQL, LIKE or
// MongoDB must only ever match themselves.
var injected = map[string]string{
	"inj-plain":     "abc",
	"inj-percent":   "a%c",
	"inj-under":     "a_c",
	"inj-quote":     "it's",
	"inj-dquote":    `say "hi"`,
	"inj-backslash": `a\c`,
	"inj-nul":       "a\x00c",
	"inj-ne":        "$ne",
	"inj-gt":        `{"$gt":""}`,
	"inj-sql":       `' OR '1'='1`,
	"inj-regex":     ".*",
}

func testInjection(t *testing.T, open Opener) {
	s := open(t)
	var fixtures []Fixture
	for id, v := range injected {
		fixtures = append(fixtures, Fixture{Type: "Inj", ID: id, Index: []store.IndexEntry{Token("v", v, v)},
			Sort: map[string]any{"s.k": v}})
	}
	fixtures = append(fixtures,
		Fixture{Type: "Inj", ID: "param-dot", Index: []store.IndexEntry{Token("a.b", "", "x")}},
		Fixture{Type: "Inj", ID: "param-dollar", Index: []store.IndexEntry{Token("$where", "", "x")}},
		Fixture{Type: "Inj", ID: "param-plain", Index: []store.IndexEntry{Token("a", "", "x"), Token("b", "", "x")}},
	)
	Seed(t, s, fixtures...)

	code := func(op search.Op, v string) search.Expr { return match("v", cond(search.FieldCode, op, v)) }
	rows := []searchRow{
		{"PrefixPercentIsLiteral", "Inj", code(search.OpPrefix, "a%"), []string{"inj-percent"}},
		{"PrefixUnderscoreIsLiteral", "Inj", code(search.OpPrefix, "a_"), []string{"inj-under"}},
		{"ContainsPercentIsLiteral", "Inj", code(search.OpContains, "%"), []string{"inj-percent"}},
		{"ContainsUnderscoreIsLiteral", "Inj", code(search.OpContains, "_"), []string{"inj-under"}},
		{"EqQuote", "Inj", code(search.OpEq, "it's"), []string{"inj-quote"}},
		{"EqSQLTautology", "Inj", code(search.OpEq, `' OR '1'='1`), []string{"inj-sql"}},
		{"EqSQLComment", "Inj", code(search.OpEq, `abc' --`), nil},
		{"EqSQLTerminator", "Inj", code(search.OpEq, `abc'; DROP TABLE x; --`), nil},
		{"ContainsDoubleQuote", "Inj", code(search.OpContains, `"`), []string{"inj-dquote", "inj-gt"}},
		{"PrefixBackslash", "Inj", code(search.OpPrefix, `a\`), []string{"inj-backslash"}},
		{"ContainsBackslash", "Inj", code(search.OpContains, `\`), []string{"inj-backslash"}},
		{"EqNUL", "Inj", code(search.OpEq, "a\x00c"), []string{"inj-nul"}},
		{"EqBeforeNUL", "Inj", code(search.OpEq, "a"), nil},
		{"PrefixNUL", "Inj", code(search.OpPrefix, "a\x00"), []string{"inj-nul"}},
		{"ContainsNUL", "Inj", code(search.OpContains, "\x00"), []string{"inj-nul"}},
		{"EqMongoOperator", "Inj", code(search.OpEq, "$ne"), []string{"inj-ne"}},
		{"EqMongoDocument", "Inj", code(search.OpEq, `{"$gt":""}`), []string{"inj-gt"}},
		{"PrefixDollar", "Inj", code(search.OpPrefix, "$"), []string{"inj-ne"}},
		{"ContainsDollar", "Inj", code(search.OpContains, "$"), []string{"inj-gt", "inj-ne"}},
		{"PrefixRegex", "Inj", code(search.OpPrefix, ".*"), []string{"inj-regex"}},
		{"ContainsRegex", "Inj", code(search.OpContains, "."), []string{"inj-regex"}},
		{"SystemField", "Inj", match("v", eq(search.FieldSystem, "a%c")), []string{"inj-percent"}},
		{"ParamWithDot", "Inj", match("a.b", eqCode("x")), []string{"param-dot"}},
		{"ParamWithDollar", "Inj", match("$where", eqCode("x")), []string{"param-dollar"}},
		{"ParamPlain", "Inj", match("a", eqCode("x")), []string{"param-plain"}},
		{"MissingParamWithDot", "Inj", search.Missing{Param: "a.b", Missing: false}, []string{"param-dot"}},
		{"MissingParamWithDollar", "Inj", search.Missing{Param: "$where", Missing: false}, []string{"param-dollar"}},
		{"IDInQuote", "Inj", search.IDIn{`inj-plain' OR '1'='1`, `inj-plain"`}, nil},
		{"ChainTargetQuote", "Inj", search.Chain{Param: "v", Target: `Inj' OR '1'='1`, Where: match("v", eqCode("abc"))}, nil},
		{"HasTypeQuote", "Inj", search.Has{Type: `Inj' OR '1'='1`, Param: "v", Where: match("v", eqCode("abc"))}, nil},
		{"TypeQuote", `Inj' OR '1'='1`, nil, nil},
		{"TypeMongoOperator", `{"$ne":""}`, nil, nil},
	}
	runRows(t, s, rows)

	t.Run("SortParamWithDot", func(t *testing.T) {
		got := SearchIDs(t, s, store.Query{Type: "Inj", Where: match("v", prefixCode("")), Sort: []store.SortKey{{Param: "s.k"}}})
		var want []string
		for id := range injected {
			want = append(want, id)
		}
		slices.SortFunc(want, func(a, b string) int { return compareSortValues(injected[a], injected[b], false) })
		if !slices.Equal(got, want) {
			t.Fatalf("sorted by s.k: %q, want %q", got, want)
		}
	})
}

package storetest

import (
	"slices"
	"testing"

	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

const (
	genderSystem = "http://hl7.org/fhir/administrative-gender"
	loinc        = "http://loinc.org"
	ucum         = "http://unitsofmeasure.org"
)

// clinic is a small world of patients and observations. pat-gone and
// obs-deleted are deleted; spec-1 is another type that shares parameter
// names and references.
func clinic() []Fixture {
	return []Fixture{
		{Type: "Patient", ID: "pat-smith", Index: []store.IndexEntry{
			Str("family", "smith"), Str("given", "john"),
			Token("gender", genderSystem, "male"),
			dayEntry("birthdate", 1980, 5, 1),
			Token("identifier", "urn:mrn", "100"), Token("identifier", "urn:ssn", "999-11-2222"),
			Token("phone", "", "555-0100"), // no system
		}},
		{Type: "Patient", ID: "pat-smithson", Index: []store.IndexEntry{
			Str("family", "smithson"), Str("given", "anna"),
			Token("gender", genderSystem, "female"),
			dayEntry("birthdate", 1990, 1, 15),
			Token("identifier", "urn:mrn", "200"),
		}},
		{Type: "Patient", ID: "pat-jones", Index: []store.IndexEntry{
			Str("family", "jones"), Str("given", "mary"),
			Token("gender", genderSystem, "female"),
			dayEntry("birthdate", 2000, 12, 31),
			Token("phone", "urn:phone", "555-0100"),
		}},
		// Two identifiers: a match must find both conditions in one of them.
		{Type: "Patient", ID: "pat-elem", Index: []store.IndexEntry{
			Str("family", "elem"),
			Token("identifier", "urn:mrn", "300"), Token("identifier", "urn:other", "400"),
		}},
		{Type: "Patient", ID: "pat-gone", Deleted: true, Index: []store.IndexEntry{
			Str("family", "smith"), Token("gender", genderSystem, "male"), dayEntry("birthdate", 1985, 1, 1),
			Token("identifier", "urn:mrn", "100"),
		}},
		{Type: "Observation", ID: "obs-hr-smith", Index: []store.IndexEntry{
			Ref("subject", "Patient", "pat-smith"), Token("code", loinc, "8867-4"),
			Quantity("value-quantity", 72, ucum, "/min"), dayEntry("date", 2024, 1, 10),
		}},
		{Type: "Observation", ID: "obs-bp-smithson", Index: []store.IndexEntry{
			Ref("subject", "Patient", "pat-smithson"), Token("code", loinc, "8480-6"),
			Quantity("value-quantity", 120, ucum, "mm[Hg]"), dayEntry("date", 2024, 2, 1),
		}},
		{Type: "Observation", ID: "obs-hr-jones", Index: []store.IndexEntry{
			Ref("subject", "Patient", "pat-jones"), Token("code", loinc, "8867-4"),
			Quantity("value-quantity", 90, ucum, "/min"), dayEntry("date", 2024, 3, 1),
		}},
		{Type: "Observation", ID: "obs-hr-gone", Index: []store.IndexEntry{ // its patient is deleted
			Ref("subject", "Patient", "pat-gone"), Token("code", loinc, "8867-4"),
			Quantity("value-quantity", 60, ucum, "/min"),
		}},
		{Type: "Observation", ID: "obs-deleted", Deleted: true, Index: []store.IndexEntry{
			Ref("subject", "Patient", "pat-jones"), Token("code", loinc, "8480-6"),
		}},
		{Type: "Specimen", ID: "spec-1", Index: []store.IndexEntry{
			Str("family", "smith"), Token("gender", genderSystem, "male"),
			Ref("subject", "Patient", "pat-jones"), Token("code", loinc, "8480-6"),
		}},
		{Type: "Specimen", ID: "pat-smith", Index: []store.IndexEntry{Str("family", "smith")}}, // same id, other type
	}
}

type searchRow struct {
	name  string
	typ   string
	where search.Expr
	want  []string // in any order; results come back by id
}

func testSearch(t *testing.T, open Opener) {
	s := open(t)
	Seed(t, s, clinic()...)
	birth1985, _ := Day(1985, 1, 1)
	_, birth1995 := Day(1995, 12, 31)
	feb1, _ := Day(2024, 2, 1)
	hr := match("code", eq(search.FieldSystem, loinc), eqCode("8867-4"))

	rows := []searchRow{
		{"TokenSystemAndCode", "Patient", match("identifier", eq(search.FieldSystem, "urn:mrn"), eqCode("100")), []string{"pat-smith"}},
		{"TokenCodeOnly", "Patient", match("gender", eqCode("female")), []string{"pat-jones", "pat-smithson"}},
		{"TokenEmptySystem", "Patient", match("phone", eq(search.FieldSystem, ""), eqCode("555-0100")), []string{"pat-smith"}},
		{"TokenAnySystem", "Patient", match("phone", eqCode("555-0100")), []string{"pat-jones", "pat-smith"}},
		{"MatchNeedsOneEntryForAllConds", "Patient", match("identifier", eq(search.FieldSystem, "urn:mrn"), eqCode("400")), nil},
		{"MatchOtherEntry", "Patient", match("identifier", eq(search.FieldSystem, "urn:other"), eqCode("400")), []string{"pat-elem"}},
		{"StringEq", "Patient", match("family", eqCode("smith")), []string{"pat-smith"}},
		{"StringPrefix", "Patient", match("family", prefixCode("smith")), []string{"pat-smith", "pat-smithson"}},
		{"StringContains", "Patient", match("family", cond(search.FieldCode, search.OpContains, "one")), []string{"pat-jones"}},
		{"DateRange", "Patient", match("birthdate", cond(search.FieldLo, search.OpGe, birth1985), cond(search.FieldHi, search.OpLe, birth1995)), []string{"pat-smithson"}},
		{"DateBefore", "Patient", match("birthdate", cond(search.FieldHi, search.OpLt, birth1985)), []string{"pat-smith"}},
		{"QuantityWithUnit", "Observation", match("value-quantity", cond(search.FieldLo, search.OpGe, 80.0), eq(search.FieldUnit, "/min")), []string{"obs-hr-jones"}},
		{"Reference", "Observation", match("subject", eq(search.FieldSystem, "Patient"), eqCode("pat-jones")), []string{"obs-hr-jones"}},
		{"MissingTrue", "Patient", search.Missing{Param: "identifier", Missing: true}, []string{"pat-jones"}},
		{"MissingFalse", "Patient", search.Missing{Param: "identifier", Missing: false}, []string{"pat-elem", "pat-smith", "pat-smithson"}},
		{"MissingUnknownParam", "Patient", search.Missing{Param: "nickname", Missing: true}, []string{"pat-elem", "pat-jones", "pat-smith", "pat-smithson"}},
		{"And", "Patient", search.And{match("gender", eqCode("female")), match("family", prefixCode("smith"))}, []string{"pat-smithson"}},
		{"Or", "Patient", search.Or{match("family", eqCode("jones")), match("identifier", eqCode("100"))}, []string{"pat-jones", "pat-smith"}},
		{"Not", "Patient", search.Not{X: match("gender", eqCode("female"))}, []string{"pat-elem", "pat-smith"}},
		{"NotMissing", "Patient", search.Not{X: search.Missing{Param: "phone", Missing: true}}, []string{"pat-jones", "pat-smith"}},
		{"OrOfAnds", "Patient", search.Or{
			search.And{match("gender", eqCode("male")), match("given", eqCode("john"))},
			search.And{match("gender", eqCode("female")), match("given", eqCode("mary"))},
		}, []string{"pat-jones", "pat-smith"}},
		{"AndOfOrs", "Patient", search.And{
			search.Or{match("family", eqCode("smith")), match("family", eqCode("jones"))},
			search.Or{match("given", eqCode("mary")), match("identifier", eqCode("100"))},
		}, []string{"pat-jones", "pat-smith"}},
		{"EmptyAndIsTrue", "Patient", search.And{}, []string{"pat-elem", "pat-jones", "pat-smith", "pat-smithson"}},
		{"EmptyOrIsFalse", "Patient", search.Or{}, nil},
		{"IDIn", "Patient", search.IDIn{"pat-smith", "pat-jones", "pat-gone", "nobody"}, []string{"pat-jones", "pat-smith"}},
		{"IDInEmpty", "Patient", search.IDIn{}, nil},
		{"IDInAndMatch", "Patient", search.And{search.IDIn{"pat-smith", "pat-jones"}, match("gender", eqCode("female"))}, []string{"pat-jones"}},
		{"Chain", "Observation", search.Chain{Param: "subject", Target: "Patient", Where: match("family", prefixCode("smith"))},
			[]string{"obs-bp-smithson", "obs-hr-smith"}},
		{"ChainSkipsDeletedTarget", "Observation", search.Chain{Param: "subject", Target: "Patient", Where: match("gender", eqCode("male"))},
			[]string{"obs-hr-smith"}},
		{"ChainNegatedSkipsDeletedTarget", "Observation", search.Chain{Param: "subject", Target: "Patient", Where: search.Not{X: match("family", eqCode("jones"))}},
			[]string{"obs-bp-smithson", "obs-hr-smith"}},
		{"ChainWrongTargetType", "Observation", search.Chain{Param: "subject", Target: "Specimen", Where: match("family", eqCode("smith"))}, nil},
		{"NotChain", "Observation", search.Not{X: search.Chain{Param: "subject", Target: "Patient", Where: match("family", prefixCode("smith"))}},
			[]string{"obs-hr-gone", "obs-hr-jones"}},
		{"ChainAndMatch", "Observation", search.And{hr, search.Chain{Param: "subject", Target: "Patient", Where: match("gender", eqCode("female"))}},
			[]string{"obs-hr-jones"}},
		{"Has", "Patient", search.Has{Type: "Observation", Param: "subject", Where: hr}, []string{"pat-jones", "pat-smith"}},
		{"HasSkipsDeletedAndOtherTypes", "Patient", search.Has{Type: "Observation", Param: "subject", Where: match("code", eqCode("8480-6"))},
			[]string{"pat-smithson"}},
		{"HasWithDate", "Patient", search.Has{Type: "Observation", Param: "subject", Where: match("date", cond(search.FieldLo, search.OpGe, feb1))},
			[]string{"pat-jones", "pat-smithson"}},
		{"NotHas", "Patient", search.Not{X: search.Has{Type: "Observation", Param: "subject", Where: hr}}, []string{"pat-elem", "pat-smithson"}},
		{"HasInsideChain", "Observation", search.Chain{Param: "subject", Target: "Patient",
			Where: search.Has{Type: "Observation", Param: "subject", Where: match("code", eqCode("8480-6"))}},
			[]string{"obs-bp-smithson"}},
		{"ChainInsideHas", "Patient", search.Has{Type: "Observation", Param: "subject",
			Where: search.Chain{Param: "subject", Target: "Patient", Where: match("given", eqCode("mary"))}},
			[]string{"pat-jones"}},
		{"DeletedNeverReturned", "Patient", match("identifier", eqCode("100")), []string{"pat-smith"}},
		{"OtherTypesNeverReturned", "Specimen", match("family", eqCode("smith")), []string{"pat-smith", "spec-1"}},
		{"TypeOnly", "Observation", nil, []string{"obs-bp-smithson", "obs-hr-gone", "obs-hr-jones", "obs-hr-smith"}},
		{"UnknownType", "Encounter", nil, nil},
		{"NoMatch", "Patient", match("family", eqCode("nobody")), nil},
		{"UnknownParam", "Patient", match("nickname", eqCode("smith")), nil},
	}
	runRows(t, s, rows)
}

// runRows runs each row as a subtest. Without a sort key the order is the
// backend's row order, so the matches are compared as sets.
func runRows(t *testing.T, s store.Store, rows []searchRow) {
	t.Helper()
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			got := sorted(SearchIDs(t, s, store.Query{Type: r.typ, Where: r.where}))
			if want := sorted(r.want); !slices.Equal(got, want) {
				t.Fatalf("%s %v\n got %q\nwant %q", r.typ, r.where, got, want)
			}
		})
	}
}

// Expression builders.

func match(param string, conds ...search.Cond) search.Match {
	return search.Match{Param: param, Conds: conds}
}

func cond(f search.Field, op search.Op, v any) search.Cond {
	return search.Cond{Field: f, Op: op, Value: v}
}

func eq(f search.Field, v any) search.Cond { return cond(f, search.OpEq, v) }
func eqCode(v string) search.Cond          { return eq(search.FieldCode, v) }
func prefixCode(v string) search.Cond {
	return cond(search.FieldCode, search.OpPrefix, v)
}

func dayEntry(param string, year, month, day int) store.IndexEntry {
	lo, hi := Day(year, month, day)
	return Range(param, lo, hi)
}

package storetest

import (
	"fmt"
	"testing"

	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// The field matrix: every field with every operator that applies to it.
// Three resources a, b, c each hold one entry per field, under a parameter of
// that field alone (f-s, f-c, …), with values ordered a < b < c; thing-none
// holds none. The expected ids follow from those values.

var (
	stringFields  = []search.Field{search.FieldSystem, search.FieldCode, search.FieldText, search.FieldUnit, search.FieldUnitSystem, search.FieldCUnit}
	numericFields = []search.Field{search.FieldLo, search.FieldHi, search.FieldCLo, search.FieldCHi}
	stringValues  = map[string]string{"a": "apple", "b": "banana", "c": "cherry"}
	numericValues = map[string]float64{"a": -1.5, "b": 2, "c": 30}
)

func testSearchFields(t *testing.T, open Opener) {
	s := open(t)
	var fixtures []Fixture
	for _, name := range []string{"a", "b", "c"} {
		f := Fixture{Type: "Thing", ID: "thing-" + name}
		for _, field := range stringFields {
			f.Index = append(f.Index, stringEntry(field, stringValues[name]))
		}
		for _, field := range numericFields {
			f.Index = append(f.Index, numericEntry(field, numericValues[name]))
		}
		fixtures = append(fixtures, f)
	}
	fixtures = append(fixtures, Fixture{Type: "Thing", ID: "thing-none"})
	Seed(t, s, fixtures...)

	stringOps := []struct {
		op    search.Op
		value string
		want  []string
	}{
		{search.OpEq, "banana", []string{"b"}},
		{search.OpEq, "banan", nil},
		{search.OpPrefix, "ban", []string{"b"}},
		{search.OpPrefix, "banana", []string{"b"}},
		{search.OpPrefix, "bananas", nil},
		{search.OpPrefix, "", []string{"a", "b", "c"}},
		{search.OpPrefix, "b", []string{"b"}}, // not cherry: the prefix's end is "c"
		{search.OpContains, "an", []string{"b"}},
		{search.OpContains, "e", []string{"a", "c"}},
		{search.OpContains, "rr", []string{"c"}},
		{search.OpContains, "x", nil},
		{search.OpLt, "banana", []string{"a"}},
		{search.OpLe, "banana", []string{"a", "b"}},
		{search.OpGt, "banana", []string{"c"}},
		{search.OpGe, "banana", []string{"b", "c"}},
		{search.OpGt, "b", []string{"b", "c"}},
	}
	numericOps := []struct {
		op    search.Op
		value float64
		want  []string
	}{
		{search.OpEq, 2, []string{"b"}},
		{search.OpEq, -1.5, []string{"a"}},
		{search.OpEq, 2.5, nil},
		{search.OpLt, 2, []string{"a"}},
		{search.OpLe, 2, []string{"a", "b"}},
		{search.OpGt, 2, []string{"c"}},
		{search.OpGe, 2, []string{"b", "c"}},
		{search.OpLt, 2.5, []string{"a", "b"}},
		{search.OpGe, -100, []string{"a", "b", "c"}},
		{search.OpLt, -1.5, nil},
	}

	var rows []searchRow
	for _, field := range stringFields {
		for _, c := range stringOps {
			rows = append(rows, searchRow{
				name:  fmt.Sprintf("%s/%s_%q", field, c.op, c.value),
				typ:   "Thing",
				where: match(fieldParam(field), cond(field, c.op, c.value)),
				want:  things(c.want),
			})
		}
	}
	for _, field := range numericFields {
		for _, c := range numericOps {
			rows = append(rows, searchRow{
				name:  fmt.Sprintf("%s/%s_%g", field, c.op, c.value),
				typ:   "Thing",
				where: match(fieldParam(field), cond(field, c.op, c.value)),
				want:  things(c.want),
			})
		}
	}
	runRows(t, s, rows)
}

func fieldParam(f search.Field) string { return "f-" + string(f) }

func things(names []string) []string {
	ids := make([]string, len(names))
	for i, n := range names {
		ids[i] = "thing-" + n
	}
	return ids
}

func stringEntry(f search.Field, v string) store.IndexEntry {
	e := store.IndexEntry{Param: fieldParam(f)}
	switch f {
	case search.FieldSystem:
		e.System = v
	case search.FieldCode:
		e.Code = v
	case search.FieldText:
		e.Text = v
	case search.FieldUnit:
		e.Unit = v
	case search.FieldUnitSystem:
		e.UnitSystem = v
	case search.FieldCUnit:
		e.CUnit = v
	}
	return e
}

func numericEntry(f search.Field, v float64) store.IndexEntry {
	e := store.IndexEntry{Param: fieldParam(f)}
	switch f {
	case search.FieldLo:
		e.Lo = &v
	case search.FieldHi:
		e.Hi = &v
	case search.FieldCLo:
		e.CLo = &v
	case search.FieldCHi:
		e.CHi = &v
	}
	return e
}

package search

import (
	"slices"
	"strings"
)

// MatchEntries evaluates e against one resource's index entries, in memory,
// as the storage backends would: the check of a write against a granular
// scope, and a transaction's view of its own pending writes, both use it.
// supported is false when the answer needs other resources (Chain, Has):
// callers must then fail closed.
func MatchEntries(e Expr, id string, entries []IndexEntry) (matched, supported bool) {
	if e == nil {
		return true, true
	}
	switch evalEntries(e, id, entries) {
	case yes:
		return true, true
	case no:
		return false, true
	}
	return false, false
}

// verdict is three-valued: Chain and Has need other resources' entries, which
// a pending resource cannot consult; unknown counts as no match.
type verdict int8

const (
	no verdict = iota
	yes
	unknown
)

func verdictOf(b bool) verdict {
	if b {
		return yes
	}
	return no
}

// evalEntries decides an expression over one resource's index entries, with
// the semantics the backends give it (see store/sqlite/where.go).
func evalEntries(x Expr, id string, idx []IndexEntry) verdict {
	switch x := x.(type) {
	case IDIn:
		return verdictOf(slices.Contains(x, id))
	case Match:
		return verdictOf(slices.ContainsFunc(idx, func(e IndexEntry) bool {
			return e.Param == x.Param && !slices.ContainsFunc(x.Conds, func(c Cond) bool { return !condHolds(c, e) })
		}))
	case Missing:
		has := slices.ContainsFunc(idx, func(e IndexEntry) bool { return e.Param == x.Param })
		return verdictOf(has != x.Missing)
	case And:
		t := yes
		for _, y := range x {
			switch evalEntries(y, id, idx) {
			case no:
				return no
			case unknown:
				t = unknown
			}
		}
		return t
	case Or:
		t := no
		for _, y := range x {
			switch evalEntries(y, id, idx) {
			case yes:
				return yes
			case unknown:
				t = unknown
			}
		}
		return t
	case Not:
		switch evalEntries(x.X, id, idx) {
		case yes:
			return no
		case no:
			return yes
		}
	}
	return unknown
}

func condHolds(c Cond, e IndexEntry) bool {
	switch c.Field {
	case FieldSystem:
		return cmpString(e.System, c)
	case FieldCode:
		return cmpString(e.Code, c)
	case FieldText:
		return cmpString(e.Text, c)
	case FieldUnit:
		return cmpString(e.Unit, c)
	case FieldUnitSystem:
		return cmpString(e.UnitSystem, c)
	case FieldCUnit:
		return cmpString(e.CUnit, c)
	case FieldLo:
		return cmpNumber(e.Lo, c)
	case FieldHi:
		return cmpNumber(e.Hi, c)
	case FieldCLo:
		return cmpNumber(e.CLo, c)
	case FieldCHi:
		return cmpNumber(e.CHi, c)
	}
	return false
}

func cmpString(s string, c Cond) bool {
	v, ok := c.Value.(string)
	if !ok {
		return false
	}
	switch c.Op {
	case OpEq:
		return s == v
	case OpPrefix:
		return strings.HasPrefix(s, v)
	case OpContains:
		return strings.Contains(s, v)
	}
	return compare(strings.Compare(s, v), c.Op)
}

func cmpNumber(f *float64, c Cond) bool {
	if f == nil {
		return false
	}
	var v float64
	switch x := c.Value.(type) {
	case float64:
		v = x
	case int:
		v = float64(x)
	case int64:
		v = float64(x)
	default:
		return false
	}
	switch {
	case c.Op == OpEq:
		return *f == v
	case *f < v:
		return compare(-1, c.Op)
	case *f > v:
		return compare(1, c.Op)
	}
	return compare(0, c.Op)
}

// compare applies an ordering operator to a three-way comparison.
func compare(cmp int, op Op) bool {
	switch op {
	case OpEq:
		return cmp == 0
	case OpLt:
		return cmp < 0
	case OpLe:
		return cmp <= 0
	case OpGt:
		return cmp > 0
	case OpGe:
		return cmp >= 0
	}
	return false
}

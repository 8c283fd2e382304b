package search

import "fmt"

// Comparison prefixes of number, date and quantity values, with the R4
// range semantics. An entry holds a range [lo, hi] (its value widened by
// its precision); the search value is a range [slo, shi] too. Mapping to
// conditions on one entry:
//
//	eq  lo >= slo and hi <= shi    the entry lies within the search range
//	ne  not eq                     (a Not around the Match)
//	gt  hi > shi                   some of the entry is above the search range
//	lt  lo < slo                   some of the entry is below it
//	ge  hi >= slo                  gt, or overlapping the range
//	le  lo <= shi                  lt, or overlapping the range
//	sa  lo > shi                   the entry starts after the search range
//	eb  hi < slo                   the entry ends before it
//	ap  lo <= shi' and hi >= slo'  overlaps the range widened by the caller
//
// Numbers and quantities ignore the search value's precision for gt, lt,
// ge, le, sa and eb (R4: "treated as if they have arbitrarily high
// precision"), so callers pass slo = shi = the value for those.

type prefix string

const (
	pfxEq prefix = "eq"
	pfxNe prefix = "ne"
	pfxGt prefix = "gt"
	pfxLt prefix = "lt"
	pfxGe prefix = "ge"
	pfxLe prefix = "le"
	pfxSa prefix = "sa"
	pfxEb prefix = "eb"
	pfxAp prefix = "ap"
)

// splitPrefix separates a leading two-letter prefix from the value; a
// value that starts with two letters that are no prefix is malformed.
func splitPrefix(v string) (prefix, string, error) {
	if len(v) >= 2 && isLowerLetter(v[0]) && isLowerLetter(v[1]) {
		switch p := prefix(v[:2]); p {
		case pfxEq, pfxNe, pfxGt, pfxLt, pfxGe, pfxLe, pfxSa, pfxEb, pfxAp:
			return p, v[2:], nil
		}
		return "", "", fmt.Errorf("%q: unknown prefix %q (eq, ne, gt, lt, ge, le, sa, eb, ap)", v, v[:2])
	}
	return pfxEq, v, nil
}

func isLowerLetter(c byte) bool { return 'a' <= c && c <= 'z' }

// exact reports whether the prefix compares with the value itself rather
// than with the range its precision implies (numbers and quantities).
func (p prefix) exact() bool { return p != pfxEq && p != pfxNe && p != pfxAp }

// rangeConds compiles a prefix over the search range [slo, shi] into
// conditions on the entry fields lo and hi. negate asks for a Not (ne).
func rangeConds(p prefix, slo, shi float64, lo, hi Field) (conds []Cond, negate bool) {
	switch p {
	case pfxGt:
		return []Cond{{hi, OpGt, shi}}, false
	case pfxLt:
		return []Cond{{lo, OpLt, slo}}, false
	case pfxGe:
		return []Cond{{hi, OpGe, slo}}, false
	case pfxLe:
		return []Cond{{lo, OpLe, shi}}, false
	case pfxSa:
		return []Cond{{lo, OpGt, shi}}, false
	case pfxEb:
		return []Cond{{hi, OpLt, slo}}, false
	case pfxAp:
		return []Cond{{lo, OpLe, shi}, {hi, OpGe, slo}}, false
	}
	return []Cond{{lo, OpGe, slo}, {hi, OpLe, shi}}, p == pfxNe
}

// matchOrNot wraps conditions into a Match. For ne it matches resources that
// have a value for the parameter but none equal to the search value: a
// resource without any value is not "not equal" to anything (as HAPI
// answers), unlike :not, which includes it.
func matchOrNot(param string, conds []Cond, negate bool) Expr {
	m := Match{Param: param, Conds: conds}
	if negate {
		return And{Missing{Param: param, Missing: false}, Not{X: m}}
	}
	return m
}

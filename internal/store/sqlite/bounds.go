package sqlite

import (
	"math"

	"github.com/clinic/ehr/internal/search"
)

// Range entries (dates, numbers, quantities) are indexed by their low end:
// idx_range (p, lo, hi, res) and idx_crange (p, clo, chi, res). A condition
// on the high end alone ("date=ge2025-03-01" is hi >= …) or on one side of
// the low end ("date=lt2025-03-02" is lo < …) makes a driver scan the index
// from one bound to the end of the parameter's entries. This file works out
// the bounds on the low end that a driver's conditions imply, so that the
// scan runs between two bounds:
//
//   - lo <= hi on every entry, so an upper bound on hi bounds lo;
//   - no entry of a parameter is wider than the widest one stored, so a
//     lower bound on hi, less that width, bounds lo;
//   - when no resource holds two entries of the parameter, every Match on it
//     in a conjunction holds on the same entry, so their bounds combine.
//
// All three need the store's knowledge of the parameter's entries (its
// rangeShape): that each one with a high end has a low end (an entry without
// one is outside idx_range, and a bound on lo would drop it), the widest
// one, and whether a resource holds several. Without it only the conditions
// on lo itself count. The added conditions are implied by the others:
// results never change.

// rangePair is the low and high field of one kind of range entry, and the
// index that leads with the low one.
type rangePair struct {
	lo, hi    search.Field
	canonical bool
}

var rangePairs = []rangePair{
	{lo: search.FieldLo, hi: search.FieldHi},
	{lo: search.FieldCLo, hi: search.FieldCHi, canonical: true},
}

// rangeKey names the range entries of one parameter: as written (lo, hi) or
// in canonical units (clo, chi).
type rangeKey struct {
	param     string
	canonical bool
}

// rangeShape is what a store knows of a parameter's range entries: none is
// wider than width, unless multi no resource holds two of them, and unless
// loless every entry with a high end has a low end.
type rangeShape struct {
	width  float64
	multi  bool
	loless bool
}

// shapeSource tells the shape of a parameter's stored range entries; ok is
// false when it is not known, and no bound then relies on it.
type shapeSource interface {
	shape(k rangeKey) (s rangeShape, ok bool, err error)
}

// bound is one side of an interval of the low end.
type bound struct {
	v      float64
	strict bool // < or > rather than <= or >=
	set    bool
}

// tighter reports whether b excludes more than o as a lower (or upper) bound.
func (b bound) tighter(o bound, lower bool) bool {
	switch {
	case !b.set:
		return false
	case !o.set:
		return true
	case b.v != o.v:
		return (b.v > o.v) == lower
	}
	return b.strict && !o.strict
}

// lowEnd is the interval that conditions confine an entry's low end to.
type lowEnd struct {
	pair       rangePair
	lower, upp bound
}

// bounded reports whether the low end is confined on both sides: a scan of
// the range index between two keys.
func (l lowEnd) bounded() bool { return l.lower.set && l.upp.set }

// half reports whether the low end is confined on one side only.
func (l lowEnd) half() bool { return l.lower.set != l.upp.set }

// narrow tightens l by one condition on the pair's fields. Conditions on
// the high end count only with a shape (nil: unknown) whose entries all
// have a low end.
func (l *lowEnd) narrow(c search.Cond, shape *rangeShape) {
	v, ok := number(c.Value)
	if !ok {
		return
	}
	if c.Field == l.pair.hi && (shape == nil || shape.loless) {
		return
	}
	var lower, upper bound
	switch {
	case c.Field == l.pair.lo && c.Op == search.OpEq:
		lower, upper = bound{v: v, set: true}, bound{v: v, set: true}
	case c.Field == l.pair.lo && (c.Op == search.OpGt || c.Op == search.OpGe):
		lower = bound{v: v, strict: c.Op == search.OpGt, set: true}
	case c.Field == l.pair.lo && (c.Op == search.OpLt || c.Op == search.OpLe):
		upper = bound{v: v, strict: c.Op == search.OpLt, set: true}
	case c.Field == l.pair.hi && (c.Op == search.OpLt || c.Op == search.OpLe || c.Op == search.OpEq):
		upper = bound{v: v, strict: c.Op == search.OpLt, set: true} // lo <= hi
	case c.Field == l.pair.hi && (c.Op == search.OpGt || c.Op == search.OpGe):
		lower = bound{v: below(v, shape.width), set: true} // hi - lo <= width
	}
	if lower.tighter(l.lower, true) {
		l.lower = lower
	}
	if upper.tighter(l.upp, false) {
		l.upp = upper
	}
	if c.Field == l.pair.hi && c.Op == search.OpEq {
		l.narrow(search.Cond{Field: l.pair.hi, Op: search.OpGe, Value: v}, shape)
	}
}

// below is v - width, moved down by a few units in the last place so that
// rounding (of the stored widths, and of this subtraction) cannot exclude an
// entry: a bound that is a little loose costs nothing.
func below(v, width float64) float64 {
	return v - width - (math.Abs(v)+width)*0x1p-48
}

// number reads a numeric literal as the translation binds it.
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	}
	return 0, false
}

// pairOf returns the range pair that m's conditions compare, if any.
func pairOf(m search.Match) (rangePair, bool) {
	for _, c := range m.Conds {
		for _, p := range rangePairs {
			if c.Field == p.lo || c.Field == p.hi {
				return p, true
			}
		}
	}
	return rangePair{}, false
}

// lowEndOf works out the interval of m's low end from its own conditions
// and, when the parameter holds one entry per resource, from those of the
// other Matches on it (siblings).
func lowEndOf(m search.Match, siblings []search.Match, shapes shapeSource) (lowEnd, error) {
	pair, ok := pairOf(m)
	if !ok {
		return lowEnd{}, nil
	}
	l := lowEnd{pair: pair}
	var shape *rangeShape
	if shapes != nil {
		s, known, err := shapes.shape(rangeKey{param: m.Param, canonical: pair.canonical})
		if err != nil {
			return lowEnd{}, err
		}
		if known && !s.loless {
			shape = &s
		}
	}
	conds := m.Conds
	if shape != nil && !shape.multi {
		for _, s := range siblings {
			if p, ok := pairOf(s); ok && s.Param == m.Param && p == pair {
				conds = append(conds[:len(conds):len(conds)], s.Conds...)
			}
		}
	}
	for _, c := range conds {
		l.narrow(c, shape)
	}
	return l, nil
}

// implied returns the conditions on the low end that l holds beyond m's own
// conditions on it: at most one per side.
func (l lowEnd) implied(m search.Match) []search.Cond {
	own := lowEnd{pair: l.pair}
	for _, c := range m.Conds {
		if c.Field == l.pair.lo {
			own.narrow(c, nil)
		}
	}
	var out []search.Cond
	if l.lower.tighter(own.lower, true) {
		op := search.OpGe
		if l.lower.strict {
			op = search.OpGt
		}
		out = append(out, search.Cond{Field: l.pair.lo, Op: op, Value: l.lower.v})
	}
	if l.upp.tighter(own.upp, false) {
		op := search.OpLe
		if l.upp.strict {
			op = search.OpLt
		}
		out = append(out, search.Cond{Field: l.pair.lo, Op: op, Value: l.upp.v})
	}
	return out
}

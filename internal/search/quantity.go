package search

import (
	"fmt"
	"math"

	"github.com/clinic/ehr/fhir/ucum"
)

// Quantity parameters. Entry: Lo, Hi = the value's precision range (a
// comparator < or > opens the range on that side), Unit = code (or unit
// when there is no code), UnitSystem = system; for UCUM quantities whose
// unit converts, CLo, CHi, CUnit in canonical UCUM, so that 150 [lb_av]
// and 68 kg meet.
//
// Query: [prefix]number[|system|code]. With the UCUM system and a unit
// that converts, the value is compared in canonical units (cu, clo, chi);
// with another system, on system, unit and value; with a unit and no
// system (number||code), on unit and value; a bare number on value alone.

type quantityKind struct{}

const ucumSystem = "http://unitsofmeasure.org"

func (quantityKind) index(p *Param, items []item) ([]IndexEntry, error) {
	var out []IndexEntry
	for _, it := range items {
		q, ok := it.v.(map[string]any)
		if !ok {
			continue
		}
		text, ok := numberText(q["value"])
		if !ok {
			continue // SampledData, or a quantity without a value
		}
		d, err := parseDecimal(text)
		if err != nil {
			return nil, err
		}
		switch str(q, "comparator") {
		case "<", "<=":
			d.lo = math.Inf(-1)
		case ">", ">=":
			d.hi = math.Inf(1)
		}
		e := IndexEntry{Param: p.Code, UnitSystem: str(q, "system"), Unit: str(q, "code")}
		if e.Unit == "" {
			e.Unit = str(q, "unit")
		}
		e.Lo, e.Hi = ptr(clampInf(d.lo)), ptr(clampInf(d.hi))
		if e.UnitSystem == ucumSystem {
			if clo, chi, cu, ok := canonicalRange(d.lo, d.hi, e.Unit); ok {
				e.CLo, e.CHi, e.CUnit = ptr(clampInf(clo)), ptr(clampInf(chi)), cu
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// clampInf keeps open ends finite for JSON and every backend.
func clampInf(f float64) float64 {
	switch {
	case math.IsInf(f, 1):
		return math.MaxFloat64
	case math.IsInf(f, -1):
		return -math.MaxFloat64
	}
	return f
}

// canonicalRange converts both ends to canonical UCUM. Conversions are
// increasing (factors and the Cel/[degF] offsets), so the ends stay ordered.
func canonicalRange(lo, hi float64, unit string) (clo, chi float64, cu string, ok bool) {
	if unit == "" {
		return 0, 0, "", false
	}
	clo, cu, err := ucum.Canonical(lo, unit)
	if err != nil {
		return 0, 0, "", false
	}
	chi, _, err = ucum.Canonical(hi, unit)
	if err != nil {
		return 0, 0, "", false
	}
	return math.Min(clo, chi), math.Max(clo, chi), cu, true
}

func (quantityKind) sortValue(e IndexEntry) (any, bool) { return lowEnd(e) }

func (k quantityKind) query(p *Param, mod, value string) (Expr, error) {
	if mod != "" {
		return nil, errUnsupportedModifier(mod)
	}
	conds, negate, err := k.partConds(p, value)
	if err != nil {
		return nil, err
	}
	return matchOrNot(p.Code, conds, negate), nil
}

func (quantityKind) partConds(p *Param, value string) ([]Cond, bool, error) {
	parts := splitEscaped(value, '|')
	if len(parts) != 1 && len(parts) != 3 {
		return nil, false, fmt.Errorf("%q is not a quantity (number, number|system|code or number||code)", value)
	}
	pfx, num, err := splitPrefix(parts[0])
	if err != nil {
		return nil, false, err
	}
	d, err := parseDecimal(num)
	if err != nil {
		return nil, false, fmt.Errorf("quantity %q: %w", value, err)
	}
	var system, code string
	if len(parts) == 3 {
		system, code = unescape(parts[1]), unescape(parts[2])
	}
	slo, shi := d.searchRange(pfx)
	var conds []Cond
	lo, hi := FieldLo, FieldHi
	if clo, chi, cu, ok := canonicalRange(slo, shi, code); ok && system == ucumSystem {
		conds = []Cond{{FieldCUnit, OpEq, cu}}
		slo, shi, lo, hi = clo, chi, FieldCLo, FieldCHi
	} else {
		if system != "" {
			conds = append(conds, Cond{FieldUnitSystem, OpEq, system})
		}
		if code != "" {
			conds = append(conds, Cond{FieldUnit, OpEq, code})
		}
	}
	rc, negate := rangeConds(pfx, slo, shi, lo, hi)
	return append(conds, rc...), negate, nil
}

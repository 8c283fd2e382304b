package search

import (
	"fmt"

	"github.com/clinic/ehr/fhir"
)

// Composite parameters (code-value-quantity and kin). For each item the
// composite's expression selects (the Observation, or each component),
// every part is evaluated relative to the item, and each combination of
// the parts' values becomes one entry, so that code and value are matched
// on the same item. The parts share the entry's fields by a layout:
//
//	first token or reference  System, Code
//	second token              UnitSystem, Unit   (code-value-concept)
//	quantity                  Lo, Hi, Unit, UnitSystem, CLo, CHi, CUnit
//	date, number              Lo, Hi
//	string                    Text = folded value (matched by prefix)
//
// Query: the parts' values separated by '$', each as for its own type,
// e.g. http://loinc.org|8480-6$gt140|http://unitsofmeasure.org|mm[Hg].
// A part with ne negates the whole match.

type compositeKind struct{}

// component is one part of a composite parameter.
type component struct {
	param  *Param          // the part's own parameter: its kind indexes and compiles
	path   node            // relative to each item of the composite's expression
	layout map[Field]Field // where the part's fields go in the combined entry
}

// partKind is implemented by the types that can be a composite's part.
type partKind interface {
	partConds(p *Param, value string) (conds []Cond, negate bool, err error)
}

// partLayouts lists the possible layouts per part type; the first that does
// not collide with an earlier part is taken.
var partLayouts = map[fhir.ParamType][]map[Field]Field{
	fhir.ParamToken: {
		{FieldSystem: FieldSystem, FieldCode: FieldCode},
		{FieldSystem: FieldUnitSystem, FieldCode: FieldUnit},
	},
	fhir.ParamReference: {{FieldSystem: FieldSystem, FieldCode: FieldCode}},
	fhir.ParamString:    {{FieldCode: FieldText}},
	fhir.ParamDate:      {{FieldLo: FieldLo, FieldHi: FieldHi}},
	fhir.ParamNumber:    {{FieldLo: FieldLo, FieldHi: FieldHi}},
	fhir.ParamQuantity: {{
		FieldLo: FieldLo, FieldHi: FieldHi, FieldUnit: FieldUnit, FieldUnitSystem: FieldUnitSystem,
		FieldCLo: FieldCLo, FieldCHi: FieldCHi, FieldCUnit: FieldCUnit,
	}},
}

func compileParts(def *fhir.SearchParam) ([]component, error) {
	if len(def.Components) < 2 {
		return nil, fmt.Errorf("composite with %d components", len(def.Components))
	}
	used := map[Field]bool{}
	parts := make([]component, 0, len(def.Components))
	for _, c := range def.Components {
		if c.Param == nil {
			return nil, fmt.Errorf("component %s is not defined", c.Definition)
		}
		part, err := newParam(c.Param)
		if err != nil {
			return nil, fmt.Errorf("component %s: %w", c.Definition, err)
		}
		if _, ok := part.kind.(partKind); !ok {
			return nil, fmt.Errorf("not supported: a %s component", c.Param.Type)
		}
		path, err := parsePath(c.Expression)
		if err != nil {
			return nil, fmt.Errorf("component expression %q: %w", c.Expression, err)
		}
		layout := freeLayout(partLayouts[c.Param.Type], used)
		if layout == nil {
			return nil, fmt.Errorf("not supported: components %s leave no fields for %s", def.URL, c.Definition)
		}
		for _, to := range layout {
			used[to] = true
		}
		parts = append(parts, component{param: part, path: path, layout: layout})
	}
	return parts, nil
}

func freeLayout(layouts []map[Field]Field, used map[Field]bool) map[Field]Field {
next:
	for _, l := range layouts {
		for _, to := range l {
			if used[to] {
				continue next
			}
		}
		return l
	}
	return nil
}

func (compositeKind) index(p *Param, items []item) ([]IndexEntry, error) {
	var out []IndexEntry
	for _, it := range items {
		combos := []IndexEntry{{Param: p.Code}}
		for _, part := range p.parts {
			values, err := part.param.kind.index(part.param, part.path.eval([]item{it}))
			if err != nil {
				return nil, fmt.Errorf("component %s: %w", part.param.Code, err)
			}
			var next []IndexEntry
			for _, combo := range combos {
				for _, v := range values {
					if v.Param != part.param.Code {
						continue // auxiliary entries such as :of-type
					}
					if merged, ok := place(combo, v, part.layout); ok {
						next = append(next, merged)
					}
				}
			}
			combos = next
		}
		out = append(out, combos...)
	}
	return out, nil
}

// place copies the part's fields into the combined entry by the layout. A
// part value with none of them set (a concept's text alone) is no value.
func place(combo, part IndexEntry, layout map[Field]Field) (IndexEntry, bool) {
	placed := false
	for from, to := range layout {
		if v, ok := getField(&part, from); ok {
			setField(&combo, to, v)
			placed = true
		}
	}
	return combo, placed
}

func (compositeKind) sortValue(IndexEntry) (any, bool) { return nil, false }

func (compositeKind) query(p *Param, mod, value string) (Expr, error) {
	if mod != "" {
		return nil, errUnsupportedModifier(mod)
	}
	values := splitEscaped(value, '$')
	if len(values) != len(p.parts) {
		return nil, fmt.Errorf("%q: %s takes %d values separated by '$'", value, p.Code, len(p.parts))
	}
	var conds []Cond
	negate := false
	for i, part := range p.parts {
		cs, neg, err := part.param.kind.(partKind).partConds(part.param, values[i])
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if to, ok := part.layout[c.Field]; ok {
				c.Field = to
			}
			conds = append(conds, c)
		}
		negate = negate || neg
	}
	return matchOrNot(p.Code, conds, negate), nil
}

// getField reads a field that is set (non-empty string, non-nil number).
func getField(e *IndexEntry, f Field) (any, bool) {
	switch f {
	case FieldLo, FieldHi, FieldCLo, FieldCHi:
		p := *floatField(e, f)
		return p, p != nil
	}
	s := *stringField(e, f)
	return s, s != ""
}

func setField(e *IndexEntry, f Field, v any) {
	switch v := v.(type) {
	case *float64:
		*floatField(e, f) = v
	case string:
		*stringField(e, f) = v
	}
}

func floatField(e *IndexEntry, f Field) **float64 {
	switch f {
	case FieldLo:
		return &e.Lo
	case FieldHi:
		return &e.Hi
	case FieldCLo:
		return &e.CLo
	}
	return &e.CHi
}

func stringField(e *IndexEntry, f Field) *string {
	switch f {
	case FieldSystem:
		return &e.System
	case FieldCode:
		return &e.Code
	case FieldText:
		return &e.Text
	case FieldUnit:
		return &e.Unit
	case FieldUnitSystem:
		return &e.UnitSystem
	}
	return &e.CUnit
}

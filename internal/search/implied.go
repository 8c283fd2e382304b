package search

import (
	"regexp"
	"strings"

	"github.com/clinic/ehr/fhir"
)

// Implied composites. "Observation?code=X&value-quantity=gt100" asks for the
// same thing as "code-value-quantity=X$gt100", because an Observation has one
// code and one value: every (code, value) pair of the two parameters is an
// entry of the composite, and every entry of the composite is such a pair.
// Neither plain parameter narrows much on its own (every glucose result; every
// value above 100), but the composite's entries are indexed by code and value
// together. Parse therefore replaces the two Matches by the composite Match:
// the results are the same, and one index lookup finds them.
//
// The rule comes from the specification's definitions, not from a list: a
// composite qualifies when its expression is the resource itself and each
// component is one of the type's own parameters whose every expression member
// is the component's path (members that cannot give an entry of the
// parameter's type, such as SampledData for a quantity, aside).

// impliedComposite is one composite and the parameters its parts stand for.
type impliedComposite struct {
	composite *Param
	parts     []string // the parts' parameter codes, in component order
}

// findImplied lists the composites of a type that its plain parameters imply.
func findImplied(resourceType string, tp *typeParams) []impliedComposite {
	var out []impliedComposite
	for _, p := range tp.sorted {
		if p.Type != fhir.ParamComposite || p.Def.Expression != resourceType {
			continue
		}
		ic := impliedComposite{composite: p}
		for _, c := range p.Def.Components {
			own, ok := tp.byCode[c.Param.Code]
			if !ok || own.Def.URL != c.Param.URL || !sameSelection(resourceType, own, c.Expression) {
				ic.parts = nil
				break
			}
			ic.parts = append(ic.parts, own.Code)
		}
		if len(ic.parts) == len(p.Def.Components) {
			out = append(out, ic)
		}
	}
	return out
}

// sameSelection reports whether every member of p's expression selects what
// the component path does, relative to the resource.
func sameSelection(resourceType string, p *Param, componentPath string) bool {
	want := normalisePath(resourceType + "." + componentPath)
	for _, member := range fhir.UnionMembers(p.Def.Expression) {
		m := normalisePath(member)
		if m == want || yieldsNoEntry(p.Type, m) {
			continue
		}
		return false
	}
	return true
}

var asFunction = regexp.MustCompile(`\s+as\s+([A-Za-z]+)`)

// normalisePath writes "(X.value as Quantity)" as "X.value.as(Quantity)".
func normalisePath(member string) string {
	m := strings.TrimSpace(member)
	for strings.HasPrefix(m, "(") && strings.HasSuffix(m, ")") {
		m = strings.TrimSpace(m[1 : len(m)-1])
	}
	return asFunction.ReplaceAllString(m, ".as($1)")
}

// yieldsNoEntry: a quantity parameter indexes nothing of a SampledData (see
// quantityKind.index).
func yieldsNoEntry(t fhir.ParamType, member string) bool {
	return t == fhir.ParamQuantity && strings.HasSuffix(member, ".as(SampledData)")
}

// addImplied replaces the plain Matches of a composite's parts by the
// composite Match, which holds exactly when they all do (see findImplied).
// Only plain Matches count: a negation, a chain or a modifier that compiles
// to something else implies nothing.
func addImplied(where And, implied []impliedComposite) And {
	if len(where) < 2 {
		return where
	}
	for _, ic := range implied {
		var conds []Cond
		used := map[int]bool{}
		for i, code := range ic.parts {
			at := -1
			for j, x := range where {
				if m, ok := x.(Match); ok && m.Param == code {
					if at >= 0 {
						at = -2 // repeated (AND of two values): no single entry need hold both
						break
					}
					at = j
				}
			}
			if at < 0 {
				conds = nil
				break
			}
			mapped, ok := mapConds(where[at].(Match).Conds, ic.composite.parts[i].layout)
			if !ok {
				conds = nil
				break
			}
			conds = append(conds, mapped...)
			used[at] = true
		}
		if conds == nil {
			continue
		}
		rest := make(And, 0, len(where)-len(used)+1)
		for j, x := range where {
			if !used[j] {
				rest = append(rest, x)
			}
		}
		where = append(rest, Match{Param: ic.composite.Code, Conds: conds})
	}
	return where
}

// mapConds moves a part's conditions to the composite entry's fields; false
// when a condition is on a field the layout does not carry.
func mapConds(conds []Cond, layout map[Field]Field) ([]Cond, bool) {
	out := make([]Cond, 0, len(conds))
	for _, c := range conds {
		to, ok := layout[c.Field]
		if !ok {
			return nil, false
		}
		c.Field = to
		out = append(out, c)
	}
	return out, true
}

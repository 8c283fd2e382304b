package fhir

import "slices"

// baseModifiers are the R4 search modifiers this server accepts, by
// parameter type. Token :above, :below, :in and :not-in are left out on
// purpose: they need a terminology service, which the server does not have.
// Composite and special parameters take no modifier.
var baseModifiers = map[ParamType][]string{
	ParamString:    {"contains", "exact", "missing"},
	ParamToken:     {"missing", "not", "text"},
	ParamReference: {"identifier", "missing"},
	ParamDate:      {"missing"},
	ParamNumber:    {"missing"},
	ParamQuantity:  {"missing"},
	ParamURI:       {"above", "below", "missing"},
}

// modifiersFor returns the modifiers of p on its resource type: the base ones,
// :of-type for tokens on an Identifier, and one [type] modifier per
// reference target (subject:Patient=123).
func modifiersFor(p *SearchParam, elements elementTypes) []string {
	// Parameters defined without an expression (_text, _content, _query)
	// have nothing indexed for a modifier to act on.
	if p.Expression == "" {
		return nil
	}
	mods := slices.Clone(baseModifiers[p.Type])
	switch p.Type {
	case ParamToken:
		if onIdentifier(p.Expression, elements) {
			mods = append(mods, "of-type")
			slices.Sort(mods)
		}
	case ParamReference:
		mods = append(mods, p.Target...)
	}
	return mods
}

// onIdentifier reports whether a member of expr is a path to an Identifier.
func onIdentifier(expr string, elements elementTypes) bool {
	for _, member := range UnionMembers(expr) {
		if t, ok := elements.pathType(member); ok && t == "Identifier" {
			return true
		}
	}
	return false
}

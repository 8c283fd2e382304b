package fhir

import "strings"

// restrictExpression keeps the members of a FHIRPath union that apply to
// resourceType. The specification shares one parameter among many types
// ("AllergyIntolerance.patient | CarePlan.subject.where(resolve() is
// Patient) | ..."); indexing a Patient must not evaluate the other members.
// A member applies when its path starts with the type, with "Resource." or
// with "DomainResource.", possibly inside parentheses as in
// "(Observation.value as Quantity)".
func restrictExpression(expr, resourceType string) string {
	var kept []string
	for _, member := range UnionMembers(expr) {
		switch leadingTypeName(member) {
		case resourceType, "Resource", "DomainResource":
			kept = append(kept, member)
		}
	}
	return strings.Join(kept, " | ")
}

// UnionMembers splits a FHIRPath expression at the '|' operators that are
// not nested in parentheses or string literals, and trims the members.
func UnionMembers(expr string) []string {
	var members []string
	depth, start := 0, 0
	inString := false
	for i := 0; i < len(expr); i++ {
		switch c := expr[i]; {
		case inString:
			if c == '\\' {
				i++ // skip the escaped character
			} else if c == '\'' {
				inString = false
			}
		case c == '\'':
			inString = true
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '|' && depth == 0:
			members = appendMember(members, expr[start:i])
			start = i + 1
		}
	}
	return appendMember(members, expr[start:])
}

func appendMember(members []string, m string) []string {
	if m = strings.TrimSpace(m); m != "" {
		members = append(members, m)
	}
	return members
}

// leadingTypeName returns the identifier a path member starts with, after
// any opening parentheses: "(Observation.value as Quantity)" → "Observation".
func leadingTypeName(member string) string {
	s := strings.TrimLeft(member, "( \t")
	end := 0
	for end < len(s) && isIdentChar(s[end]) {
		end++
	}
	return s[:end]
}

func isIdentChar(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

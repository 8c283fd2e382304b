package search

import (
	"fmt"
	"slices"
	"strings"
)

// Reference parameters. Entry: System = target type, Code = target id, for
// "Type/id" and for absolute URLs ending in Type/id (the server does not
// tell its own base from another, so both are indexed alike); else Code =
// the full reference. References to a type outside the parameter's targets
// are not indexed. Reference.identifier gives "<param>:identifier" entries
// (System, Code = value) for the :identifier modifier.
//
// Query: id (typed when the parameter has a single target), Type/id, an
// absolute URL, :[type] (subject:Patient=123), :identifier=system|value.
// Chains are compiled by Parse.

type referenceKind struct{}

const identifierSuffix = ":identifier"

func (referenceKind) index(p *Param, items []item) ([]IndexEntry, error) {
	var out []IndexEntry
	for _, it := range items {
		var ref string
		var declared string // Reference.type
		switch v := it.v.(type) {
		case string: // canonical or uri used as a reference
			ref = v
		case map[string]any:
			ref, declared = str(v, "reference"), str(v, "type")
			if id, ok := v["identifier"].(map[string]any); ok && (declared == "" || slices.Contains(p.Target, declared)) {
				if value := str(id, "value"); value != "" {
					out = append(out, IndexEntry{Param: p.Code + identifierSuffix, System: str(id, "system"), Code: value})
				}
			}
		}
		if ref == "" || strings.HasPrefix(ref, "#") { // contained resources are not search targets
			continue
		}
		typ, id, ok := splitReference(ref)
		switch {
		case ok && slices.Contains(p.Target, typ):
			out = append(out, IndexEntry{Param: p.Code, System: typ, Code: id})
		case !ok && (declared == "" || slices.Contains(p.Target, declared)):
			out = append(out, IndexEntry{Param: p.Code, Code: ref})
		}
	}
	return out, nil
}

func (referenceKind) sortValue(e IndexEntry) (any, bool) {
	if e.System != "" {
		return e.System + "/" + e.Code, true
	}
	return e.Code, e.Code != ""
}

func (referenceKind) query(p *Param, mod, value string) (Expr, error) {
	if mod == "identifier" {
		conds, _, err := tokenConds(value)
		if err != nil {
			return nil, err
		}
		return Match{Param: p.Code + identifierSuffix, Conds: conds}, nil
	}
	value = unescape(value)
	if mod != "" && !slices.Contains(p.Target, mod) {
		return nil, errUnsupportedModifier(mod)
	}
	conds, err := referenceConds(p, mod, value)
	if err != nil {
		return nil, err
	}
	return Match{Param: p.Code, Conds: conds}, nil
}

func referenceConds(p *Param, typeMod, value string) ([]Cond, error) {
	if value == "" {
		return nil, fmt.Errorf("empty reference")
	}
	if typ, id, ok := splitReference(value); ok {
		if typeMod != "" && typ != typeMod {
			return nil, fmt.Errorf("%q does not point to a %s", value, typeMod)
		}
		return typedRef(typ, id), nil
	}
	if strings.Contains(value, "/") || strings.Contains(value, ":") { // a URL that is not Type/id
		return []Cond{{FieldCode, OpEq, value}}, nil
	}
	switch {
	case typeMod != "":
		return typedRef(typeMod, value), nil
	case len(p.Target) == 1:
		return typedRef(p.Target[0], value), nil
	}
	return []Cond{{FieldCode, OpEq, value}}, nil
}

func typedRef(typ, id string) []Cond {
	return []Cond{{FieldSystem, OpEq, typ}, {FieldCode, OpEq, id}}
}

// splitReference reads "Type/id", "Type/id/_history/v" and absolute URLs
// ending in one of those.
func splitReference(ref string) (typ, id string, ok bool) {
	segs := strings.Split(ref, "/")
	if n := len(segs); n >= 4 && segs[n-2] == "_history" {
		segs = segs[:n-2]
	}
	n := len(segs)
	if n < 2 || !isTypeName(segs[n-2]) || !isID(segs[n-1]) {
		return "", "", false
	}
	if n > 2 && !strings.Contains(ref, "://") { // a/b/Patient/1 without a scheme
		return "", "", false
	}
	return segs[n-2], segs[n-1], true
}

// referencedType is the type a Reference (or reference string) points to,
// for "resolve() is Type": from the reference, else Reference.type.
func referencedType(v any) string {
	switch v := v.(type) {
	case string:
		typ, _, _ := splitReference(v)
		return typ
	case map[string]any:
		if typ, _, ok := splitReference(str(v, "reference")); ok {
			return typ
		}
		return str(v, "type")
	}
	return ""
}

func isTypeName(s string) bool {
	if s == "" || !isUpper(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIdentPart(s[i]) || s[i] == '_' {
			return false
		}
	}
	return true
}

// isID checks the R4 id syntax: [A-Za-z0-9\-\.]{1,64}.
func isID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isIdentPart(c) && c != '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

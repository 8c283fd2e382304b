package search

import "strings"

// URI parameters. Entry: Code = the uri as written. Query: equality;
// :below = prefix; :above = the uri or one of its ancestors, path segment by
// path segment (http://a.org/fhir/ValueSet/x is above-matched by entries
// http://a.org/fhir/ValueSet/x, http://a.org/fhir/ValueSet, ...).

type uriKind struct{}

func (uriKind) index(p *Param, items []item) ([]IndexEntry, error) {
	var out []IndexEntry
	for _, it := range items {
		if s, ok := it.v.(string); ok && s != "" {
			out = append(out, IndexEntry{Param: p.Code, Code: s})
		}
	}
	return out, nil
}

func (uriKind) sortValue(e IndexEntry) (any, bool) { return e.Code, e.Code != "" }

func (uriKind) query(p *Param, mod, value string) (Expr, error) {
	value = unescape(value)
	switch mod {
	case "":
		return Match{Param: p.Code, Conds: []Cond{{FieldCode, OpEq, value}}}, nil
	case "below":
		return Match{Param: p.Code, Conds: []Cond{{FieldCode, OpPrefix, value}}}, nil
	case "above":
		var any Or
		for _, u := range ancestors(value) {
			any = append(any, Match{Param: p.Code, Conds: []Cond{{FieldCode, OpEq, u}}})
		}
		return simplifyOr(any), nil
	}
	return nil, errUnsupportedModifier(mod)
}

// ancestors returns u and its parents by path segment, stopping at the
// authority of an absolute URL (http://a.org is the last).
func ancestors(u string) []string {
	out := []string{u}
	root := 0
	if i := strings.Index(u, "://"); i >= 0 {
		root = i + 3
		if j := strings.IndexByte(u[root:], '/'); j >= 0 {
			root += j
		} else {
			return out
		}
	}
	for {
		i := strings.LastIndexByte(u, '/')
		if i <= 0 || i < root {
			return out
		}
		u = u[:i]
		out = append(out, u)
		if i == root {
			return out
		}
	}
}

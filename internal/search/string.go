package search

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// String parameters. Entry: Code = folded value, Text = value as written.
// Query: default = folded prefix on Code, :contains = folded substring on
// Code, :exact = equality on Text.

type stringKind struct{}

func (stringKind) index(p *Param, items []item) ([]IndexEntry, error) {
	var out []IndexEntry
	for _, it := range items {
		for _, s := range stringParts(it) {
			out = append(out, IndexEntry{Param: p.Code, Code: fold(s), Text: s})
		}
	}
	return out, nil
}

func (stringKind) sortValue(e IndexEntry) (any, bool) { return e.Code, e.Code != "" }

func (stringKind) query(p *Param, mod, value string) (Expr, error) {
	value = unescape(value)
	switch mod {
	case "":
		return Match{Param: p.Code, Conds: []Cond{{FieldCode, OpPrefix, fold(value)}}}, nil
	case "contains":
		return Match{Param: p.Code, Conds: []Cond{{FieldCode, OpContains, fold(value)}}}, nil
	case "exact":
		return Match{Param: p.Code, Conds: []Cond{{FieldText, OpEq, value}}}, nil
	}
	return nil, errUnsupportedModifier(mod)
}

// partConds makes a string the part of a composite: a folded prefix.
func (stringKind) partConds(p *Param, value string) ([]Cond, bool, error) {
	return []Cond{{FieldCode, OpPrefix, fold(unescape(value))}}, false, nil
}

// stringParts returns the strings a value offers to string search: itself
// for a string; the name parts of a HumanName, the address parts of an
// Address (or their text alone); every string inside any other complex value.
func stringParts(it item) []string {
	switch v := it.v.(type) {
	case string:
		return nonBlank(nil, v)
	case map[string]any:
		switch {
		case it.typ == "HumanName" || it.typ == "" && hasAny(v, "family", "given", "prefix", "suffix"):
			return collect(v, "family", "given", "prefix", "suffix", "text")
		case it.typ == "Address" || it.typ == "" && hasAny(v, "line", "city", "district", "state", "postalCode", "country"):
			return collect(v, "line", "city", "district", "state", "postalCode", "country", "text")
		case it.typ == "" && hasAny(v, "text"): // a name or address given as text only
			return collect(v, "text")
		}
		return allStrings(nil, v)
	}
	return nil
}

func hasAny(m map[string]any, keys ...string) bool {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// collect returns the string values (or string array members) of keys, in order.
func collect(m map[string]any, keys ...string) []string {
	var out []string
	for _, k := range keys {
		switch v := m[k].(type) {
		case string:
			out = nonBlank(out, v)
		case []any:
			for _, e := range v {
				if s, ok := e.(string); ok {
					out = nonBlank(out, s)
				}
			}
		}
	}
	return out
}

// allStrings gathers every string of a complex value except its extensions
// and ids, in a stable order (keys sorted).
func allStrings(out []string, v any) []string {
	switch v := v.(type) {
	case string:
		return nonBlank(out, v)
	case []any:
		for _, e := range v {
			out = allStrings(out, e)
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if k == "extension" || k == "modifierExtension" || k == "id" || strings.HasPrefix(k, "_") {
				continue
			}
			out = allStrings(out, v[k])
		}
	}
	return out
}

func nonBlank(out []string, s string) []string {
	if strings.TrimSpace(s) != "" {
		out = append(out, s)
	}
	return out
}

// accentStrippers hold transformers that decompose, drop the combining
// marks and recompose ("Zoë" → "Zoe"). A chain is stateful and costly to
// build (two 4 KB buffers), so fold reuses them; transform.String resets.
var accentStrippers = sync.Pool{New: func() any {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

// fold is the normal form of string search: accents removed, lower case,
// outer blanks trimmed. ASCII, the common case, skips the Unicode work.
func fold(s string) string {
	s = strings.TrimSpace(s)
	if isASCII(s) {
		return strings.ToLower(s)
	}
	t := accentStrippers.Get().(transform.Transformer)
	out, _, err := transform.String(t, s)
	accentStrippers.Put(t)
	if err != nil {
		out = s // only on invalid UTF-8; fold case at least
	}
	return strings.ToLower(out)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

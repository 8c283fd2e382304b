package search

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/clinic/ehr/fhir"
)

// Token parameters. Entries by the type of the value:
//
//	Coding           System, Code, Text = folded display
//	CodeableConcept  one entry per coding, plus one with Text = folded text
//	Identifier       System, Code = value, Text = folded type text; and for
//	                 :of-type, entries "<param>:of-type" with System/Code of
//	                 each type coding and Text = the value as written
//	ContactPoint     System = its system (phone, email), Code = value
//	code             Code, System = the code system of the element's required
//	                 binding when it has exactly one (fhir.CodeSystemOf), so
//	                 that system|code finds Patient.gender; else none
//	string, id, boolean  Code
//
// Query: code, system|code, |code (no system), system|; :text = folded
// prefix on Text; :of-type = typeSystem|typeCode|value; :not in Parse.

type tokenKind struct{}

// ofTypeSuffix names the auxiliary entries of the :of-type modifier.
const ofTypeSuffix = ":of-type"

func (tokenKind) index(p *Param, items []item) ([]IndexEntry, error) {
	var out []IndexEntry
	ofType := p.accepts("of-type")
	for _, it := range items {
		out = appendTokens(out, p.Code, it, ofType)
	}
	return out, nil
}

func appendTokens(out []IndexEntry, param string, it item, ofType bool) []IndexEntry {
	switch v := it.v.(type) {
	case bool:
		return append(out, IndexEntry{Param: param, Code: strconv.FormatBool(v)})
	case string:
		if v != "" {
			// Only code elements are listed, so an id or string has no system.
			out = append(out, IndexEntry{Param: param, System: fhir.CodeSystemOf(it.path), Code: v})
		}
		return out
	case json.Number:
		return append(out, IndexEntry{Param: param, Code: v.String()})
	case map[string]any:
		switch {
		case it.typ == "CodeableConcept" || it.typ == "" && hasAny(v, "coding"):
			return appendConcept(out, param, v)
		case it.typ == "Coding" || it.typ == "" && !hasAny(v, "value") && hasAny(v, "code", "system", "display"):
			return appendCoding(out, param, v)
		case hasAny(v, "value"): // Identifier, ContactPoint
			return appendIdentifier(out, param, v, ofType)
		case hasAny(v, "text"): // a CodeableConcept with text only
			return appendConcept(out, param, v)
		}
	}
	return out
}

func appendConcept(out []IndexEntry, param string, cc map[string]any) []IndexEntry {
	codings, _ := cc["coding"].([]any)
	for _, c := range codings {
		if m, ok := c.(map[string]any); ok {
			out = appendCoding(out, param, m)
		}
	}
	if text := str(cc, "text"); text != "" {
		out = append(out, IndexEntry{Param: param, Text: fold(text)})
	}
	return out
}

func appendCoding(out []IndexEntry, param string, c map[string]any) []IndexEntry {
	e := IndexEntry{Param: param, System: str(c, "system"), Code: str(c, "code"), Text: fold(str(c, "display"))}
	if e.Code == "" && e.Text == "" {
		return out
	}
	return append(out, e)
}

func appendIdentifier(out []IndexEntry, param string, id map[string]any, ofType bool) []IndexEntry {
	value := str(id, "value")
	if value == "" {
		return out
	}
	typ, _ := id["type"].(map[string]any)
	out = append(out, IndexEntry{Param: param, System: str(id, "system"), Code: value, Text: fold(conceptText(typ))})
	if !ofType {
		return out
	}
	codings, _ := typ["coding"].([]any)
	for _, c := range codings {
		m, _ := c.(map[string]any)
		if code := str(m, "code"); code != "" {
			out = append(out, IndexEntry{Param: param + ofTypeSuffix, System: str(m, "system"), Code: code, Text: value})
		}
	}
	return out
}

// conceptText is what :text matches on a concept: its text, else the first
// coding's display.
func conceptText(cc map[string]any) string {
	if t := str(cc, "text"); t != "" {
		return t
	}
	codings, _ := cc["coding"].([]any)
	for _, c := range codings {
		m, _ := c.(map[string]any)
		if d := str(m, "display"); d != "" {
			return d
		}
	}
	return ""
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func (tokenKind) sortValue(e IndexEntry) (any, bool) { return e.Code, e.Code != "" }

func (tokenKind) query(p *Param, mod, value string) (Expr, error) {
	switch mod {
	case "":
		conds, _, err := tokenConds(value)
		if err != nil {
			return nil, err
		}
		return Match{Param: p.Code, Conds: conds}, nil
	case "text":
		return Match{Param: p.Code, Conds: []Cond{{FieldText, OpPrefix, fold(unescape(value))}}}, nil
	case "of-type":
		parts := splitEscaped(value, '|')
		if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
			return nil, fmt.Errorf("%q: :of-type takes typeSystem|typeCode|value", value)
		}
		return Match{Param: p.Code + ofTypeSuffix, Conds: []Cond{
			{FieldSystem, OpEq, unescape(parts[0])},
			{FieldCode, OpEq, unescape(parts[1])},
			{FieldText, OpEq, unescape(parts[2])},
		}}, nil
	}
	return nil, errUnsupportedModifier(mod)
}

func (tokenKind) partConds(p *Param, value string) ([]Cond, bool, error) {
	return tokenConds(value)
}

// tokenConds compiles code, system|code, |code and system|. An empty
// System literal means "no system": the entry's System is empty.
func tokenConds(value string) ([]Cond, bool, error) {
	parts := splitEscaped(value, '|')
	switch {
	case len(parts) == 1 && parts[0] != "":
		return []Cond{{FieldCode, OpEq, unescape(parts[0])}}, false, nil
	case len(parts) == 2 && parts[1] == "" && parts[0] != "":
		return []Cond{{FieldSystem, OpEq, unescape(parts[0])}}, false, nil
	case len(parts) == 2 && parts[1] != "":
		return []Cond{{FieldSystem, OpEq, unescape(parts[0])}, {FieldCode, OpEq, unescape(parts[1])}}, false, nil
	}
	return nil, false, fmt.Errorf("%q is not a token (code, system|code, |code or system|)", value)
}

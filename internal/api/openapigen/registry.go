package main

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/search"
)

// resourceType is what the document says about one served type.
type resourceType struct {
	Name     string
	ReadOnly bool
	Profile  string
	Params   []searchParam // the ones the server searches on, by code
	// Unsupported are the specification's parameters the server cannot
	// search on (no FHIRPath expression); NotIndexed the ones it does not
	// index for this type (audit.SearchParams). The search refuses both.
	Unsupported, NotIndexed []string
	Includes                []string // _include values: Type:param of its reference parameters
	RevIncludes             []string // _revinclude values: Other:param pointing to this type
}

// searchParam is one search parameter of one type.
type searchParam struct {
	Code        string
	Type        fhir.ParamType
	Description string
	Modifiers   []string // not counting the :Type modifiers of references
	Targets     []string // reference targets
	Parts       []string // composite: the codes of the parts
}

// loadTypes reads the served types and their search parameters from the
// registries, in the order of fhir/data/types.json; parameters by code.
func loadTypes() ([]resourceType, error) {
	infos := fhir.Types()
	names := make([]string, len(infos))
	for i, t := range infos {
		names[i] = t.Name
	}
	// The search registry is what the server compiles at start-up: a
	// parameter it cannot compile is refused by searches, so the document
	// lists it apart.
	reg, _ := search.NewRegistry(names)
	audit.RestrictSearch(reg)
	var out []resourceType
	for _, info := range infos {
		defs := fhir.SearchParams(info.Name)
		if defs == nil {
			return nil, fmt.Errorf("no search parameters for %s", info.Name)
		}
		t := resourceType{Name: info.Name, ReadOnly: info.ReadOnly, Profile: info.Profile}
		for _, code := range slices.Sorted(maps.Keys(defs)) {
			def := defs[code]
			if _, ok := reg.Param(info.Name, code); !ok {
				if def.Expression == "" {
					t.Unsupported = append(t.Unsupported, code)
				} else {
					t.NotIndexed = append(t.NotIndexed, code)
				}
				continue
			}
			p := searchParam{
				Code:        code,
				Type:        def.Type,
				Description: describe(info.Name, def.Description),
				Targets:     slices.Clone(def.Target),
			}
			// Every indexed parameter takes :missing; references also take
			// the name of a target type, which the description says once.
			p.Modifiers = []string{"missing"}
			for _, m := range def.Modifiers {
				if !slices.Contains(def.Target, m) && !slices.Contains(p.Modifiers, m) {
					p.Modifiers = append(p.Modifiers, m)
				}
			}
			slices.Sort(p.Modifiers)
			for _, c := range def.Components {
				if c.Param != nil {
					p.Parts = append(p.Parts, c.Param.Code)
				}
			}
			t.Params = append(t.Params, p)
			if def.Type == fhir.ParamReference {
				t.Includes = append(t.Includes, info.Name+":"+code)
			}
		}
		out = append(out, t)
	}
	for i := range out {
		for _, other := range out {
			for _, p := range other.Params {
				if p.Type == fhir.ParamReference && slices.Contains(p.Targets, out[i].Name) {
					out[i].RevIncludes = append(out[i].RevIncludes, other.Name+":"+p.Code)
				}
			}
		}
		slices.Sort(out[i].RevIncludes)
	}
	return out, nil
}

var (
	multiLine  = regexp.MustCompile(`^\*\s*\[([A-Za-z]+)\]\([^)]*\):\s*(.*)$`)
	mdLink     = regexp.MustCompile(`\[([^\]]+)\]\([^)]*\)`)
	whitespace = regexp.MustCompile(`\s+`)
)

// describe turns a SearchParameter description into one line for the type:
// the specification shares one description among the types of a
// multi-resource parameter ("Multiple Resources: * [Patient](…): …").
func describe(typ, desc string) string {
	desc = strings.ReplaceAll(desc, "\r", "")
	if strings.HasPrefix(desc, "Multiple Resources:") {
		found := ""
		for _, line := range strings.Split(desc, "\n") {
			if m := multiLine.FindStringSubmatch(strings.TrimSpace(line)); m != nil && m[1] == typ {
				found = m[2]
				break
			}
		}
		desc = found
	}
	desc = mdLink.ReplaceAllString(desc, "$1")
	desc = strings.TrimSpace(whitespace.ReplaceAllString(desc, " "))
	return strings.TrimSuffix(desc, ".")
}

// typeHints say how to write a value of each search parameter type.
var typeHints = map[fhir.ParamType]string{
	fhir.ParamString:    "String: matches values that start with it, ignoring case and accents",
	fhir.ParamToken:     "Token: system|code, |code (no system), system| or code",
	fhir.ParamDate:      "Date: a date, dateTime or instant, with an optional prefix eq ne lt gt le ge sa eb ap (e.g. ge2024-01-01)",
	fhir.ParamNumber:    "Number: with an optional prefix eq ne lt gt le ge sa eb ap (e.g. gt5)",
	fhir.ParamQuantity:  "Quantity: [prefix]number|system|code (e.g. gt140|http://unitsofmeasure.org|mm[Hg]); units are compared in canonical UCUM",
	fhir.ParamReference: "Reference: Type/id, id alone, or an absolute URL",
	fhir.ParamURI:       "URI: the whole URI",
	fhir.ParamComposite: "Composite: the parts' values joined by $",
}

// paramDescription is the one-line description of a search parameter.
func paramDescription(p searchParam) string {
	var b strings.Builder
	b.WriteString(cmp.Or(p.Description, p.Code))
	b.WriteString(". ")
	b.WriteString(typeHints[p.Type])
	switch {
	case len(p.Parts) > 0:
		b.WriteString(" (" + strings.Join(p.Parts, " $ ") + ")")
	case p.Type == fhir.ParamReference && len(p.Targets) > 8:
		b.WriteString(", to any type")
	case p.Type == fhir.ParamReference && len(p.Targets) > 0:
		b.WriteString(", to " + strings.Join(p.Targets, ", "))
	}
	b.WriteString(". Comma-separated values match any (OR); a repeated parameter must match each (AND).")
	if len(p.Modifiers) > 0 {
		mods := make([]string, 0, len(p.Modifiers)+1)
		for _, m := range p.Modifiers {
			mods = append(mods, ":"+m)
		}
		if p.Type == fhir.ParamReference {
			mods = append(mods, ":[Type]")
		}
		b.WriteString(" Modifiers: " + strings.Join(mods, " ") + ".")
	}
	return b.String()
}

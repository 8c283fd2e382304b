package fhir

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The _summary modes that reduce a resource. "false" and "count" do not
// reduce one: "false" returns it whole, "count" returns none.
const (
	SummaryTrue = "true" // the elements marked isSummary, and the mandatory and modifier ones
	SummaryText = "text" // text, id, meta and the top-level mandatory elements
	SummaryData = "data" // everything but text
)

const summaryFile = "data/summary-elements.json"

// SummaryElement is what the R4 StructureDefinition of a served type says
// of one element, for _summary. Elements are keyed by JSON path: a choice
// element value[x] appears once per type, as valueQuantity, valueString, ...
type SummaryElement struct {
	Summary  bool   `json:"summary,omitempty"`  // ElementDefinition.isSummary
	Min      int    `json:"min,omitempty"`      // ElementDefinition.min
	Modifier bool   `json:"modifier,omitempty"` // ElementDefinition.isModifier
	Backbone bool   `json:"backbone,omitempty"` // has elements of its own, listed under its path
	Ref      string `json:"ref,omitempty"`      // contentReference: its elements are listed under Ref
}

// Mandatory reports whether the element must be present (min ≥ 1).
func (e SummaryElement) Mandatory() bool { return e.Min > 0 }

// inSummary reports whether _summary=true keeps the element. Modifiers are
// kept too: a client that does not see a modifier misreads the rest (R4
// marks every modifier isSummary except DomainResource.modifierExtension).
func (e SummaryElement) inSummary() bool { return e.Summary || e.Mandatory() || e.Modifier }

var summaryElements = newLazy(loadSummaryElements)

func loadSummaryElements() (map[string]map[string]SummaryElement, error) {
	b, err := readData(summaryFile)
	if err != nil {
		return nil, err
	}
	var f struct {
		Types map[string]map[string]SummaryElement `json:"types"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("fhir: parse %s: %w", summaryFile, err)
	}
	names, err := typeNames()
	if err != nil {
		return nil, err
	}
	for _, t := range names {
		if len(f.Types[t]) == 0 {
			return nil, fmt.Errorf("fhir: %s has no elements for served type %s", summaryFile, t)
		}
	}
	return f.Types, nil
}

// LookupSummaryElement returns the element of a served type at a JSON path
// such as "Observation.component.code".
func LookupSummaryElement(path string) (SummaryElement, bool) {
	typ, _, _ := strings.Cut(path, ".")
	e, ok := summaryElements.mustGet()[typ][path]
	return e, ok
}

// Summarize returns doc reduced as _summary=mode asks (SummaryTrue,
// SummaryText or SummaryData). The result shares the kept values with doc;
// doc itself is not changed. Elements the definition does not know (an
// invalid document) are dropped by true and text, kept by data. A
// primitive's extension (_birthDate) goes with its value. Data type values
// are kept whole: isSummary filters the resource's own elements and its
// backbone elements, as the specification's serialisers do.
func Summarize(doc map[string]any, mode string) (map[string]any, error) {
	typ, _ := doc["resourceType"].(string)
	elems, ok := summaryElements.mustGet()[typ]
	if !ok {
		return nil, fmt.Errorf("fhir: summary of %q: type not served", typ)
	}
	switch mode {
	case SummaryData:
		out := make(map[string]any, len(doc))
		for k, v := range doc {
			if k != "text" && k != "_text" {
				out[k] = v
			}
		}
		return out, nil
	case SummaryText:
		out := map[string]any{"resourceType": typ}
		for k, v := range doc {
			name := strings.TrimPrefix(k, "_")
			if name == "id" || name == "meta" || name == "text" || elems[typ+"."+name].Mandatory() {
				out[k] = v
			}
		}
		return out, nil
	case SummaryTrue:
		out := filterSummary(elems, typ, doc)
		out["resourceType"] = typ
		return out, nil
	}
	return nil, fmt.Errorf("fhir: summary mode %q: want true, text or data", mode)
}

// filterSummary keeps the members of obj, an element at path, that the
// summary holds, and filters backbone elements in turn.
func filterSummary(elems map[string]SummaryElement, path string, obj map[string]any) map[string]any {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		name := strings.TrimPrefix(k, "_")
		el, ok := elems[path+"."+name]
		if !ok || !el.inSummary() {
			continue
		}
		if el.Backbone || el.Ref != "" {
			inner := path + "." + name
			if el.Ref != "" {
				inner = el.Ref
			}
			if v = filterBackbone(elems, inner, v); v == nil {
				continue
			}
		}
		out[k] = v
	}
	return out
}

// filterBackbone filters one backbone value or an array of them; nil when
// nothing is left.
func filterBackbone(elems map[string]SummaryElement, path string, v any) any {
	switch v := v.(type) {
	case map[string]any:
		if m := filterSummary(elems, path, v); len(m) > 0 {
			return m
		}
		return nil
	case []any:
		var out []any
		for _, item := range v {
			if kept := filterBackbone(elems, path, item); kept != nil {
				out = append(out, kept)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return nil
}

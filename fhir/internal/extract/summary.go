package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// summaryElement is what _summary needs to know of one element of a served
// type: its isSummary flag, its cardinality's lower bound, whether it is a
// modifier, and whether it has elements of its own (a BackboneElement, or a
// contentReference to one) that _summary=true must filter in turn.
type summaryElement struct {
	Summary  bool   `json:"summary,omitempty"`
	Min      int    `json:"min,omitempty"`
	Modifier bool   `json:"modifier,omitempty"`
	Backbone bool   `json:"backbone,omitempty"`
	Ref      string `json:"ref,omitempty"` // contentReference: the children are those of this path
}

// summaryFile is fhir/data/summary-elements.json: per served type, its
// elements keyed by their JSON path ("Observation.component.valueQuantity").
// A choice element value[x] is listed once per allowed type, under the name
// the JSON carries (valueQuantity, valueString, ...).
type summaryFile struct {
	Source string                               `json:"source"`
	Types  map[string]map[string]summaryElement `json:"types"`
}

// structureDefinition is the part of a StructureDefinition that
// summaryElements and codeSystems read.
type structureDefinition struct {
	Kind        string `json:"kind"`
	Type        string `json:"type"`
	Derivation  string `json:"derivation"`
	FHIRVersion string `json:"fhirVersion"`
	Snapshot    struct {
		Element []sdElement `json:"element"`
	} `json:"snapshot"`
}

// sdElement is the part of an ElementDefinition that summaryElements and
// codeSystems read.
type sdElement struct {
	Path             string `json:"path"`
	Min              int    `json:"min"`
	IsSummary        bool   `json:"isSummary"`
	IsModifier       bool   `json:"isModifier"`
	ContentReference string `json:"contentReference"`
	Type             []struct {
		Code string `json:"code"`
	} `json:"type"`
	Binding *struct {
		Strength string `json:"strength"`
		ValueSet string `json:"valueSet"`
	} `json:"binding"`
}

// servedDefinitions reads profiles-resources.json (a Bundle of the R4
// StructureDefinitions) and returns the base definition of each served type.
func servedDefinitions(data []byte, types []string) (map[string]*structureDefinition, error) {
	// The Bundle also holds OperationDefinitions and others, whose fields
	// of the same names have other types: look at resourceType first.
	var bundle struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &bundle); err != nil {
		return nil, fmt.Errorf("parse StructureDefinitions: %w", err)
	}
	sds := make(map[string]*structureDefinition, len(types))
	for i, e := range bundle.Entry {
		var head struct {
			ResourceType string `json:"resourceType"`
		}
		if err := json.Unmarshal(e.Resource, &head); err != nil {
			return nil, fmt.Errorf("StructureDefinitions: entry %d: %w", i, err)
		}
		if head.ResourceType != "StructureDefinition" {
			continue
		}
		var sd structureDefinition
		if err := json.Unmarshal(e.Resource, &sd); err != nil {
			return nil, fmt.Errorf("StructureDefinitions: entry %d: %w", i, err)
		}
		if sd.Kind != "resource" || sd.Derivation == "constraint" ||
			!slices.Contains(types, sd.Type) {
			continue
		}
		if sd.FHIRVersion != fhirVersion {
			return nil, fmt.Errorf("StructureDefinition %s is FHIR %s, want %s", sd.Type, sd.FHIRVersion, fhirVersion)
		}
		if _, dup := sds[sd.Type]; dup {
			return nil, fmt.Errorf("StructureDefinition %s is defined twice", sd.Type)
		}
		sds[sd.Type] = &sd
	}
	for _, t := range types {
		if _, ok := sds[t]; !ok {
			return nil, fmt.Errorf("no StructureDefinition for served type %s", t)
		}
	}
	return sds, nil
}

// summaryElements returns the summary data of the served types.
func summaryElements(sds map[string]*structureDefinition) ([]byte, error) {
	out := summaryFile{
		Source: definitionsPackage + " " + srcProfilesResources + " (FHIR " + fhirVersion + "): snapshot elements' isSummary, min, isModifier",
		Types:  make(map[string]map[string]summaryElement, len(sds)),
	}
	for _, t := range slices.Sorted(maps.Keys(sds)) {
		elems, err := typeSummary(t, sds[t].Snapshot.Element)
		if err != nil {
			return nil, err
		}
		out.Types[t] = elems
	}
	return encodeJSON(out)
}

// typeSummary keys the snapshot's elements by JSON path. Parents come
// before their children in a snapshot, so a child's JSON path is its
// parent's plus its own name.
func typeSummary(typ string, snapshot []sdElement) (map[string]summaryElement, error) {
	elems := make(map[string]summaryElement, len(snapshot))
	for _, el := range snapshot {
		if el.Path == typ {
			continue // the resource itself
		}
		parent, name, ok := cutLast(el.Path)
		if !ok || !strings.HasPrefix(el.Path, typ+".") {
			return nil, fmt.Errorf("%s: element %q is outside the type", typ, el.Path)
		}
		if parent != typ {
			if p, ok := elems[parent]; !ok || !p.Backbone {
				return nil, fmt.Errorf("%s: element %q comes before its parent or under a non-backbone element", typ, el.Path)
			}
		}
		info := summaryElement{Summary: el.IsSummary, Min: el.Min, Modifier: el.IsModifier}
		if ref, ok := strings.CutPrefix(el.ContentReference, "#"); ok {
			if _, known := elems[ref]; !known {
				return nil, fmt.Errorf("%s: element %q refers to %q before it is defined", typ, el.Path, ref)
			}
			info.Ref = ref
		}
		var codes []string
		for _, t := range el.Type {
			codes = append(codes, t.Code)
			if t.Code == "BackboneElement" || t.Code == "Element" {
				info.Backbone = true
			}
		}
		base, choice := strings.CutSuffix(name, "[x]")
		if !choice {
			elems[parent+"."+name] = info
			continue
		}
		if len(codes) == 0 {
			return nil, fmt.Errorf("%s: choice element %q has no types", typ, el.Path)
		}
		for _, code := range codes {
			elems[parent+"."+base+strings.ToUpper(code[:1])+code[1:]] = info
		}
	}
	return elems, nil
}

// cutLast splits a.b.c into a.b and c.
func cutLast(path string) (parent, name string, ok bool) {
	i := strings.LastIndexByte(path, '.')
	if i <= 0 || i == len(path)-1 {
		return "", "", false
	}
	return path[:i], path[i+1:], true
}

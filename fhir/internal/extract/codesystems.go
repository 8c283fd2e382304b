package main

import (
	"encoding/json"
	"fmt"
	"log"
	"maps"
	"slices"
	"strings"
)

// codeSystemsFile is fhir/data/code-systems.json. A code element with a
// required binding to a value set drawn from one code system implicitly has
// that system (R4 token search: Patient.gender matches
// http://hl7.org/fhir/administrative-gender|female), so search indexes its
// value with it.
type codeSystemsFile struct {
	Source   string            `json:"source"`
	Elements map[string]string `json:"elements"` // element path → code system URL
}

// valueSet is the part of a ValueSet that codeSystems reads.
type valueSet struct {
	URL     string `json:"url"`
	Compose *struct {
		Include []struct {
			System   string   `json:"system"`
			ValueSet []string `json:"valueSet"`
		} `json:"include"`
	} `json:"compose"`
}

// codeSystems maps the elements of the served types whose type is code and
// whose binding is required to the one code system their value set draws
// from. valueSets is valuesets.json, a Bundle of the R4 ValueSets and
// CodeSystems. Elements whose value set spans several systems, or cannot be
// resolved, are left out and logged: their values have no implicit system.
func codeSystems(sds map[string]*structureDefinition, valueSets []byte) ([]byte, error) {
	sets, err := readValueSets(valueSets)
	if err != nil {
		return nil, err
	}
	out := codeSystemsFile{
		Source: definitionsPackage + " " + srcProfilesResources + " and " + srcValueSets + " (FHIR " + fhirVersion +
			"): code elements with a required binding to a value set of one code system",
		Elements: make(map[string]string),
	}
	for _, t := range slices.Sorted(maps.Keys(sds)) {
		for _, el := range sds[t].Snapshot.Element {
			// Only elements of type code alone: a choice such as value[x]
			// has other types, whose values carry no system.
			if len(el.Type) != 1 || el.Type[0].Code != "code" || el.Binding == nil || el.Binding.Strength != "required" {
				continue
			}
			url := stripVersion(el.Binding.ValueSet)
			systems, err := sets.systems(url, nil)
			switch {
			case err != nil:
				log.Printf("code systems: %s left out: %v", el.Path, err)
			case len(systems) != 1:
				log.Printf("code systems: %s left out: %s draws from %d code systems", el.Path, url, len(systems))
			default:
				out.Elements[el.Path] = systems[0]
			}
		}
	}
	return encodeJSON(out)
}

// valueSets indexes the ValueSets by canonical URL.
type valueSets map[string]*valueSet

func readValueSets(data []byte) (valueSets, error) {
	var bundle struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &bundle); err != nil {
		return nil, fmt.Errorf("parse ValueSets: %w", err)
	}
	sets := make(valueSets, len(bundle.Entry))
	for i, e := range bundle.Entry {
		// CodeSystems share the Bundle; their compose-less shape would
		// decode, but they are not value sets.
		var head struct {
			ResourceType string `json:"resourceType"`
		}
		if err := json.Unmarshal(e.Resource, &head); err != nil {
			return nil, fmt.Errorf("ValueSets: entry %d: %w", i, err)
		}
		if head.ResourceType != "ValueSet" {
			continue
		}
		var vs valueSet
		if err := json.Unmarshal(e.Resource, &vs); err != nil {
			return nil, fmt.Errorf("ValueSets: entry %d: %w", i, err)
		}
		if vs.URL == "" {
			return nil, fmt.Errorf("ValueSets: entry %d has no url", i)
		}
		if _, dup := sets[vs.URL]; dup {
			return nil, fmt.Errorf("ValueSet %s is defined twice", vs.URL)
		}
		sets[vs.URL] = &vs
	}
	return sets, nil
}

// systems returns the code systems, sorted, that the value set's codes come
// from: the system of each include, or, for an include that only imports
// value sets, theirs. An include with both a system and imports selects
// codes of that system. visiting holds the value sets being resolved, to
// refuse cycles.
func (s valueSets) systems(url string, visiting []string) ([]string, error) {
	if slices.Contains(visiting, url) {
		return nil, fmt.Errorf("ValueSet %s imports itself", url)
	}
	vs, ok := s[url]
	if !ok {
		return nil, fmt.Errorf("ValueSet %s is not defined", url)
	}
	if vs.Compose == nil || len(vs.Compose.Include) == 0 {
		return nil, fmt.Errorf("ValueSet %s has no compose.include", url)
	}
	visiting = append(visiting, url)
	var systems []string
	for _, inc := range vs.Compose.Include {
		if inc.System != "" {
			systems = append(systems, inc.System)
			continue
		}
		if len(inc.ValueSet) == 0 {
			return nil, fmt.Errorf("ValueSet %s: an include has neither system nor valueSet", url)
		}
		for _, imported := range inc.ValueSet {
			sub, err := s.systems(stripVersion(imported), visiting)
			if err != nil {
				return nil, fmt.Errorf("ValueSet %s: %w", url, err)
			}
			systems = append(systems, sub...)
		}
	}
	slices.Sort(systems)
	return slices.Compact(systems), nil
}

// stripVersion drops the |version of a canonical reference
// ("http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1").
func stripVersion(canonical string) string {
	url, _, _ := strings.Cut(canonical, "|")
	return url
}

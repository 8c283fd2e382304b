package fhir

import (
	"encoding/json"
	"fmt"
	"slices"
)

// TypeInfo describes a resource type the server serves.
type TypeInfo struct {
	Name     string `json:"type"`
	ReadOnly bool   `json:"readOnly"` // no create, update or delete (AuditEvent)
	Profile  string `json:"profile"`  // canonical URL of the base StructureDefinition
}

var servedTypes = newLazy(loadTypes)

// Types returns the served resource types in the order of data/types.json.
func Types() []TypeInfo {
	return slices.Clone(servedTypes.mustGet())
}

// LookupType returns the served type with the given name (case-sensitive,
// as resource type names are in FHIR).
func LookupType(name string) (TypeInfo, bool) {
	for _, t := range servedTypes.mustGet() {
		if t.Name == name {
			return t, true
		}
	}
	return TypeInfo{}, false
}

// typeNames returns the served type names, for the other loaders.
func typeNames() ([]string, error) {
	types, err := servedTypes.get()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = t.Name
	}
	return names, nil
}

func loadTypes() ([]TypeInfo, error) {
	b, err := readData(typesFile)
	if err != nil {
		return nil, err
	}
	var types []TypeInfo
	if err := json.Unmarshal(b, &types); err != nil {
		return nil, fmt.Errorf("fhir: parse %s: %w", typesFile, err)
	}
	seen := make(map[string]bool, len(types))
	for _, t := range types {
		if t.Name == "" || seen[t.Name] {
			return nil, fmt.Errorf("fhir: %s: empty or duplicate type %q", typesFile, t.Name)
		}
		seen[t.Name] = true
	}
	return types, nil
}

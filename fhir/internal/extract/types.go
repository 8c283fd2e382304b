package main

import (
	"encoding/json"
	"fmt"
	"os"
)

// servedType is one entry of fhir/data/types.json. The extractor needs only
// the names: they decide which search parameters and schema definitions stay.
type servedType struct {
	Type string `json:"type"`
}

// readServedTypes returns the served resource type names in file order.
func readServedTypes(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read served types: %w", err)
	}
	var entries []servedType
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	names := make([]string, 0, len(entries))
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		if e.Type == "" || seen[e.Type] {
			return nil, fmt.Errorf("%s: empty or duplicate type %q", path, e.Type)
		}
		seen[e.Type] = true
		names = append(names, e.Type)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s lists no types", path)
	}
	return names, nil
}

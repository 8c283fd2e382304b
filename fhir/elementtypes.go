package fhir

import (
	"encoding/json"
	"fmt"
	"strings"
)

// elementTypes maps a schema definition's elements to the definitions they
// refer to: elementTypes["Specimen_Container"]["identifier"] = "Identifier".
// It lets the registry find out what a simple search path points at.
type elementTypes map[string]map[string]string

func elementTypesFromSchema() (elementTypes, error) {
	b, err := readData(schemaFile)
	if err != nil {
		return nil, err
	}
	type ref struct {
		Ref string `json:"$ref"`
	}
	var schema struct {
		Definitions map[string]struct {
			Properties map[string]struct {
				ref
				Items *ref `json:"items"`
			} `json:"properties"`
		} `json:"definitions"`
	}
	if err := json.Unmarshal(b, &schema); err != nil {
		return nil, fmt.Errorf("fhir: parse %s: %w", schemaFile, err)
	}
	types := make(elementTypes, len(schema.Definitions))
	for name, def := range schema.Definitions {
		props := make(map[string]string, len(def.Properties))
		for prop, p := range def.Properties {
			target := p.Ref
			if p.Items != nil {
				target = p.Items.Ref
			}
			if t, ok := strings.CutPrefix(target, "#/definitions/"); ok {
				props[prop] = t
			}
		}
		types[name] = props
	}
	return types, nil
}

// pathType returns the definition a plain dotted path such as
// "Specimen.container.identifier" ends at. Paths with functions or type
// casts are not followed.
func (e elementTypes) pathType(path string) (string, bool) {
	parts := strings.Split(path, ".")
	def := parts[0]
	for _, part := range parts[1:] {
		next, ok := e[def][part]
		if !ok {
			return "", false
		}
		def = next
	}
	_, ok := e[def]
	return def, ok
}

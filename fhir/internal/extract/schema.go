package main

import (
	"bytes"
	"fmt"
	"log"
	"slices"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const (
	schemaBaseURL = "http://hl7.org/fhir/json-schema/4.0"
	refPrefix     = "#/definitions/"
)

// The upstream schema lists every resource type in ResourceList, which
// contained resources point to; following it would keep the whole schema.
// We point those references at a loose Resource definition instead: a
// contained Medication is still accepted, checked for its resourceType only.
const (
	resourceListDef = "ResourceList"
	resourceDef     = "Resource"
)

// addedDefinitions are referred to by the upstream schema but not defined
// in it; the schema does not compile without them.
func addedDefinitions() map[string]any {
	return map[string]any{
		"integer64": map[string]any{
			"description": "A very large whole number, written as a string",
			"pattern":     "^[0]|[-+]?[1-9][0-9]*$",
			"type":        "string",
		},
		resourceDef: map[string]any{
			"description": "A resource of any type (contained resources, Bundle entries); only its resourceType is checked",
			"properties": map[string]any{
				"resourceType": map[string]any{"description": "The type of the resource", "type": "string"},
			},
			"required": []any{"resourceType"},
			"type":     "object",
		},
	}
}

// trimSchema returns the JSON schema reduced to the definitions reachable
// from the served types, with the root oneOf and discriminator narrowed to
// those types.
func trimSchema(data []byte, types []string) ([]byte, error) {
	doc, err := decodeJSON(data)
	if err != nil {
		return nil, fmt.Errorf("parse schema: %w", err)
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema: not a JSON object")
	}
	defs, ok := root["definitions"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema: no definitions")
	}
	for name, def := range addedDefinitions() {
		if _, exists := defs[name]; exists {
			log.Printf("schema: upstream now defines %s; keeping upstream's", name)
			continue
		}
		defs[name] = def
	}

	kept, err := reachableDefinitions(defs, types)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(root))
	for k, v := range root {
		out[k] = v
	}
	out["definitions"] = kept
	oneOf := make([]any, len(types))
	for i, t := range types {
		oneOf[i] = map[string]any{"$ref": refPrefix + t}
	}
	out["oneOf"] = oneOf
	if disc, ok := root["discriminator"].(map[string]any); ok {
		out["discriminator"] = narrowDiscriminator(disc, types)
	}
	return encodeJSON(out)
}

// reachableDefinitions follows $ref from the served types, transitively.
func reachableDefinitions(defs map[string]any, types []string) (map[string]any, error) {
	kept := make(map[string]any)
	// Both added definitions are kept even when no served type refers to
	// them, so that the published schema is self-contained.
	pending := slices.Concat(types, []string{resourceDef, "integer64"})
	for len(pending) > 0 {
		name := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		if _, done := kept[name]; done {
			continue
		}
		def, ok := defs[name]
		if !ok {
			return nil, fmt.Errorf("schema: definition %q is referred to but not defined", name)
		}
		kept[name] = def
		var refErr error
		walkRefs(def, func(ref string) string {
			target, ok := strings.CutPrefix(ref, refPrefix)
			if !ok {
				refErr = fmt.Errorf("schema: %s: unsupported $ref %q", name, ref)
				return ref
			}
			if target == resourceListDef {
				target = resourceDef
			}
			pending = append(pending, target)
			return refPrefix + target
		})
		if refErr != nil {
			return nil, refErr
		}
	}
	return kept, nil
}

// walkRefs calls fn for every $ref in v and replaces the $ref with its result.
func walkRefs(v any, fn func(string) string) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if ref, ok := child.(string); ok && k == "$ref" {
				v[k] = fn(ref)
				continue
			}
			walkRefs(child, fn)
		}
	case []any:
		for _, child := range v {
			walkRefs(child, fn)
		}
	}
}

// narrowDiscriminator keeps the mapping entries of the served types.
func narrowDiscriminator(disc map[string]any, types []string) map[string]any {
	out := make(map[string]any, len(disc))
	for k, v := range disc {
		out[k] = v
	}
	if mapping, ok := disc["mapping"].(map[string]any); ok {
		narrowed := make(map[string]any, len(types))
		for _, t := range types {
			if target, ok := mapping[t]; ok {
				narrowed[t] = target
			}
		}
		out["mapping"] = narrowed
	}
	return out
}

// verifySchema compiles the trimmed schema the way package fhir does, so a
// broken extraction fails here rather than at server start.
func verifySchema(data []byte, types []string) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("verify schema: %w", err)
	}
	start := time.Now()
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaBaseURL, doc); err != nil {
		return fmt.Errorf("verify schema: %w", err)
	}
	locations := []string{schemaBaseURL}
	for _, t := range types {
		locations = append(locations, schemaBaseURL+refPrefix+t)
	}
	for _, loc := range locations {
		if _, err := c.Compile(loc); err != nil {
			return fmt.Errorf("verify schema: compile %s: %w", loc, err)
		}
	}
	log.Printf("schema compiles: root and %d types in %v", len(types), time.Since(start).Round(time.Millisecond))
	return nil
}

package main

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-openapi/spec"
	"sigs.k8s.io/yaml"
)

// examples holds one JSON example per definition, named after it
// (Patient.json → definitions.Patient). The resources are realistic
// back-office records that pass the server's validation and rules (the API
// test creates each of them through the real router).
//
//go:embed examples/*.json
var examples embed.FS

// exampleBase is the FHIR base of the URLs in the examples.
const exampleBase = "https://ehr.example.org/fhir"

// finish completes swag's output in dir: examples, SMART scopes. It writes
// both files the way swag does (4-space JSON; YAML converted from JSON), so
// running it twice changes nothing.
func finish(dir string) error {
	jsonPath := filepath.Join(dir, "swagger.json")
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		return err
	}
	var doc spec.Swagger
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%s: %w", jsonPath, err)
	}
	types, err := loadTypes()
	if err != nil {
		return err
	}
	if err := addExamples(&doc, types); err != nil {
		return err
	}
	if err := addScopes(&doc, types); err != nil {
		return err
	}
	out, err := json.MarshalIndent(&doc, "", "    ")
	if err != nil {
		return err
	}
	compact, err := json.Marshal(&doc)
	if err != nil {
		return err
	}
	y, err := yaml.JSONToYAML(compact)
	if err != nil {
		return err
	}
	if err := os.WriteFile(jsonPath, out, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "swagger.yaml"), y, 0o644)
}

// readExample returns the example named after a definition, compact, with
// its members in the order the file gives them (resourceType first), and
// the members it needs to refer to it.
func readExample(name string) (json.RawMessage, exampleHead, error) {
	var head exampleHead
	b, err := examples.ReadFile("examples/" + name + ".json")
	if err != nil {
		return nil, head, err
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, head, fmt.Errorf("examples/%s.json: %w", name, err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, b); err != nil {
		return nil, head, fmt.Errorf("examples/%s.json: %w", name, err)
	}
	return compact.Bytes(), head, nil
}

// exampleHead is what the Bundle examples need to know of a resource.
type exampleHead struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Meta         struct {
		LastUpdated string `json:"lastUpdated"`
	} `json:"meta"`
}

// The Bundle examples, with their members in the usual order.
type (
	exampleBundle struct {
		ResourceType string         `json:"resourceType"`
		ID           string         `json:"id"`
		Type         string         `json:"type"`
		Timestamp    string         `json:"timestamp"`
		Total        *int           `json:"total,omitempty"`
		Link         []exampleLink  `json:"link"`
		Entry        []exampleEntry `json:"entry"`
	}
	exampleLink struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	}
	exampleEntry struct {
		FullURL  string          `json:"fullUrl"`
		Resource json.RawMessage `json:"resource"`
		Search   struct {
			Mode string `json:"mode"`
		} `json:"search"`
	}
)

func matchEntry(typ, id string, res json.RawMessage) exampleEntry {
	e := exampleEntry{FullURL: exampleBase + "/" + typ + "/" + id, Resource: res}
	e.Search.Mode = "match"
	return e
}

func setExample(doc *spec.Swagger, name string, example any) error {
	def, ok := doc.Definitions[name]
	if !ok {
		return fmt.Errorf("the document has no definition %s", name)
	}
	raw, ok := example.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(example); err != nil {
			return err
		}
	}
	def.Example = raw
	doc.Definitions[name] = def
	return nil
}

// addExamples sets each definition's example from examples/, and builds
// each type's Bundle example from the type's: a one-match searchset.
func addExamples(doc *spec.Swagger, types []resourceType) error {
	entries, err := examples.ReadDir("examples")
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".json")
		ex, _, err := readExample(name)
		if err != nil {
			return err
		}
		if err := setExample(doc, name, ex); err != nil {
			return fmt.Errorf("examples/%s: %w", e.Name(), err)
		}
	}
	one := 1
	for _, t := range types {
		res, head, err := readExample(t.Name)
		if err != nil {
			return fmt.Errorf("every served type needs an example: %w", err)
		}
		b := exampleBundle{
			ResourceType: "Bundle", ID: "g2tb6xnq4wkz7hdm3vcr5pyaje", Type: "searchset",
			Timestamp: head.Meta.LastUpdated, Total: &one,
			Link:  []exampleLink{{Relation: "self", URL: exampleBase + "/" + t.Name + "?_id=" + head.ID}},
			Entry: []exampleEntry{matchEntry(t.Name, head.ID, res)},
		}
		if err := setExample(doc, t.Name+"Bundle", b); err != nil {
			return err
		}
	}
	return everythingExample(doc, types)
}

// everythingExample makes the generic Bundle's example a Patient's record
// ($everything): the Patient, then the examples of the other types that
// refer to it, in the order of the types.
func everythingExample(doc *spec.Swagger, types []resourceType) error {
	if _, err := examples.ReadFile("examples/Bundle.json"); err == nil {
		return nil // examples/Bundle.json says it
	}
	_, patient, err := readExample("Patient")
	if err != nil {
		return err
	}
	b := exampleBundle{
		ResourceType: "Bundle", ID: "w4hd7mzq2xk5bn3tcv6ryplaje", Type: "searchset",
		Timestamp: "2024-10-08T15:20:00.000Z",
		Link:      []exampleLink{{Relation: "self", URL: exampleBase + "/Patient/" + patient.ID + "/$everything"}},
	}
	for _, t := range types {
		res, head, err := readExample(t.Name)
		if err != nil {
			return err
		}
		if t.Name != "Patient" && !bytes.Contains(res, []byte(`"Patient/`+patient.ID+`"`)) {
			continue
		}
		b.Entry = append(b.Entry, matchEntry(t.Name, head.ID, res))
	}
	return setExample(doc, "Bundle", b)
}

// scopeLetters are the SMART permissions, in the order scopes write them.
var scopeLetters = []struct{ letter, what string }{
	{"c", "create"},
	{"r", "read (read, vread, history)"},
	{"u", "update"},
	{"d", "delete"},
	{"s", "search"},
}

// addScopes lists the SMART scopes in the SMART security definition: swag
// lower-cases the names of scopes, and resource type names are not.
func addScopes(doc *spec.Swagger, types []resourceType) error {
	def, ok := doc.SecurityDefinitions["SMART"]
	if !ok {
		return fmt.Errorf("the document has no SMART security definition")
	}
	scopes := map[string]string{}
	contexts := []struct{ name, whose string }{
		{"patient", " in the compartment of the token's patient"},
		{"user", " that the user may see"},
		{"system", " (backend services)"},
	}
	for _, ctx := range contexts {
		for _, t := range types {
			for _, l := range scopeLetters {
				if t.ReadOnly && l.letter != "r" && l.letter != "s" {
					continue
				}
				scopes[ctx.name+"/"+t.Name+"."+l.letter] = strings.ToUpper(l.what[:1]) + l.what[1:] + " " + t.Name + " resources" + ctx.whose
			}
		}
		for _, l := range scopeLetters {
			scopes[ctx.name+"/*."+l.letter] = strings.ToUpper(l.what[:1]) + l.what[1:] + " resources of every type but AuditEvent" + ctx.whose
		}
	}
	def.Scopes = scopes
	return nil
}

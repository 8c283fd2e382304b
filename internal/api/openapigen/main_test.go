package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clinic/ehr/fhir"
)

// TestAnnotationFilesAreCurrent fails when the registries in package fhir
// changed and `make openapi` was not run: the committed annotations (and so
// the document) would describe another API.
func TestAnnotationFilesAreCurrent(t *testing.T) {
	files, err := annotationFiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range sortedKeys(files) {
		old, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(old, files[name]) {
			t.Errorf("internal/api/%s is stale: run make openapi", name)
		}
	}
}

// TestAnnotationFilesAreDeterministic renders twice.
func TestAnnotationFilesAreDeterministic(t *testing.T) {
	a, err := annotationFiles()
	if err != nil {
		t.Fatal(err)
	}
	b, err := annotationFiles()
	if err != nil {
		t.Fatal(err)
	}
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s differs between two runs", name)
		}
	}
}

// TestExamplesAreValid checks every example resource against the R4 JSON
// schema, as the server checks bodies.
func TestExamplesAreValid(t *testing.T) {
	for _, typ := range fhir.Types() {
		raw, _, err := readExample(typ.Name)
		if err != nil {
			t.Errorf("%s: %v", typ.Name, err)
			continue
		}
		var ex map[string]any
		if err := json.Unmarshal(raw, &ex); err != nil {
			t.Fatal(err)
		}
		if issues := fhir.Validate(typ.Name, ex); len(issues) > 0 {
			t.Errorf("the %s example is not valid: %+v", typ.Name, issues)
		}
	}
	for _, name := range []string{"TransactionBundle", "TransactionResponseBundle"} {
		_, head, err := readExample(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if head.ResourceType != "Bundle" {
			t.Errorf("%s: resourceType %v", name, head.ResourceType)
		}
	}
}

func TestDescribe(t *testing.T) {
	multi := "Multiple Resources: \r\n\r\n* [Patient](patient.html): A portion of the family name of the patient\r\n* [Practitioner](practitioner.html): A portion of the family name"
	if got := describe("Patient", multi); got != "A portion of the family name of the patient" {
		t.Errorf("describe(Patient) = %q", got)
	}
	if got := describe("Patient", "Logical id of this artifact"); got != "Logical id of this artifact" {
		t.Errorf("describe = %q", got)
	}
	if got := describe("Patient", "See [Coding](datatypes.html#Coding).\n  Second line."); got != "See Coding. Second line" {
		t.Errorf("describe = %q", got)
	}
}

func TestParamTextIsSafeForSwag(t *testing.T) {
	got := paramText(`a "quoted" value, the default(x) and format(y)`)
	if strings.Contains(got, `"`) || strings.Contains(got, "default(") || strings.Contains(got, "format(") {
		t.Errorf("paramText = %q", got)
	}
}

// TestEveryTypeHasItsOperations checks the generator's coverage per type.
func TestEveryTypeHasItsOperations(t *testing.T) {
	types, err := loadTypes()
	if err != nil {
		t.Fatal(err)
	}
	if len(types) != len(fhir.Types()) {
		t.Fatalf("%d types, the registry has %d", len(types), len(fhir.Types()))
	}
	for _, rt := range types {
		ids := map[string]bool{}
		for _, op := range typeOperations(rt) {
			if ids[op.ID] {
				t.Errorf("duplicate operation id %s", op.ID)
			}
			ids[op.ID] = true
			if len(op.Scopes) == 0 {
				t.Errorf("%s has no SMART scopes", op.ID)
			}
		}
		want := []string{"search", "read", "vread", "history"}
		if !rt.ReadOnly {
			want = append(want, "create", "update", "delete", "conditionalUpdate", "conditionalDelete")
		}
		for _, w := range want {
			if !ids[w+rt.Name] {
				t.Errorf("%s has no %s operation", rt.Name, w)
			}
		}
		if rt.ReadOnly && ids["create"+rt.Name] {
			t.Errorf("read-only %s has a create operation", rt.Name)
		}
		if len(rt.Params) == 0 {
			t.Errorf("%s has no search parameters", rt.Name)
		}
	}
}

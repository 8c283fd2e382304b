package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

func TestSelectSearchParameters(t *testing.T) {
	src := `{"resourceType":"Bundle","type":"collection","entry":[
	 {"fullUrl":"u/c","resource":{"url":"u/c","code":"combo","base":["Patient"],"text":{"div":"x"},
	   "component":[{"definition":"u/part","expression":"x"}]}},
	 {"fullUrl":"u/part","resource":{"url":"u/part","code":"part","base":["Practitioner"]}},
	 {"fullUrl":"u/other","resource":{"url":"u/other","code":"other","base":["Practitioner"]}},
	 {"fullUrl":"u/id","resource":{"url":"u/id","code":"_id","base":["Resource"]}},
	 {"fullUrl":"u/text","resource":{"url":"u/text","code":"_text","base":["DomainResource"]}},
	 {"fullUrl":"u/a","resource":{"url":"u/a","code":"a","base":["Account","Patient"]}}]}`
	out, err := selectSearchParameters([]byte(src), []string{"Patient"})
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(out, &bundle); err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, e := range bundle.Entry {
		urls = append(urls, e.Resource["url"].(string))
		if _, ok := e.Resource["text"]; ok {
			t.Errorf("%s keeps its narrative", e.Resource["url"])
		}
	}
	want := []string{"u/a", "u/c", "u/id", "u/part", "u/text"}
	if bundle.ResourceType != "Bundle" || !slices.Equal(urls, want) {
		t.Errorf("kept %q (%s), want %q", urls, bundle.ResourceType, want)
	}
}

func TestSelectSearchParametersUnknownComponent(t *testing.T) {
	src := `{"entry":[{"resource":{"url":"u/c","base":["Patient"],"component":[{"definition":"u/missing"}]}}]}`
	if _, err := selectSearchParameters([]byte(src), []string{"Patient"}); err == nil {
		t.Fatal("want an error for an undefined component")
	}
}

func TestTrimSchema(t *testing.T) {
	src := `{"$schema":"http://json-schema.org/draft-06/schema#","id":"x",
	 "discriminator":{"propertyName":"resourceType","mapping":{"Patient":"#/definitions/Patient","Account":"#/definitions/Account"}},
	 "oneOf":[{"$ref":"#/definitions/ResourceList"}],
	 "definitions":{
	  "ResourceList":{"oneOf":[{"$ref":"#/definitions/Patient"},{"$ref":"#/definitions/Account"}]},
	  "Patient":{"properties":{"resourceType":{"const":"Patient"},"name":{"items":{"$ref":"#/definitions/HumanName"},"type":"array"},
	    "contained":{"items":{"$ref":"#/definitions/ResourceList"},"type":"array"}},"additionalProperties":false,"required":["resourceType"]},
	  "HumanName":{"properties":{"family":{"$ref":"#/definitions/string"}}},
	  "string":{"type":"string"},
	  "Account":{"properties":{"name":{"$ref":"#/definitions/string"}}}}}`
	out, err := trimSchema([]byte(src), []string{"Patient"})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		OneOf         []map[string]string       `json:"oneOf"`
		Discriminator map[string]any            `json:"discriminator"`
		Definitions   map[string]map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	var defs []string
	for name := range got.Definitions {
		defs = append(defs, name)
	}
	sort.Strings(defs)
	wantDefs := []string{"HumanName", "Patient", "Resource", "integer64", "string"}
	if !slices.Equal(defs, wantDefs) {
		t.Errorf("definitions = %q, want %q", defs, wantDefs)
	}
	if len(got.OneOf) != 1 || got.OneOf[0]["$ref"] != "#/definitions/Patient" {
		t.Errorf("oneOf = %v", got.OneOf)
	}
	if m := got.Discriminator["mapping"].(map[string]any); len(m) != 1 {
		t.Errorf("discriminator mapping = %v", m)
	}
	if !strings.Contains(string(out), `"$ref": "#/definitions/Resource"`) {
		t.Error("contained does not refer to Resource")
	}
	if err := verifySchema(out, []string{"Patient"}); err != nil {
		t.Errorf("trimmed schema does not compile: %v", err)
	}
}

func TestTrimSchemaUndefinedRef(t *testing.T) {
	src := `{"definitions":{"Patient":{"properties":{"x":{"$ref":"#/definitions/Nope"}}}}}`
	if _, err := trimSchema([]byte(src), []string{"Patient"}); err == nil {
		t.Fatal("want an error for an undefined definition")
	}
}

func TestCheckFHIRVersion(t *testing.T) {
	tests := []struct {
		info    string
		wantErr bool
	}{
		{"[FHIR]\nFhirVersion=4.0.1-9346c8cc45\nversion=4.0.1\nbuildId=9346c8cc45\n", false},
		{"[FHIR]\nversion=4.3.0\n", true},
		{"", true},
	}
	for _, tt := range tests {
		if err := checkFHIRVersion([]byte(tt.info)); (err != nil) != tt.wantErr {
			t.Errorf("checkFHIRVersion(%q) = %v, want error %v", tt.info, err, tt.wantErr)
		}
	}
}

func TestWriteFileIfChanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "f.json")
	steps := []struct {
		data        string
		wantChanged bool
	}{
		{"a\n", true},
		{"a\n", false},
		{"b\n", true},
	}
	for i, s := range steps {
		changed, err := writeFileIfChanged(path, []byte(s.data))
		if err != nil || changed != s.wantChanged {
			t.Fatalf("step %d: changed %v, err %v; want changed %v", i, changed, err, s.wantChanged)
		}
		if got, _ := os.ReadFile(path); string(got) != s.data {
			t.Fatalf("step %d: file holds %q", i, got)
		}
	}
}

package main

import (
	"encoding/json"
	"maps"
	"testing"
)

func TestCodeSystems(t *testing.T) {
	profiles := `{"resourceType":"Bundle","entry":[
	 {"resource":{"resourceType":"StructureDefinition","kind":"resource","type":"Patient","derivation":"specialization","fhirVersion":"4.0.1",
	   "snapshot":{"element":[
	    {"path":"Patient"},
	    {"path":"Patient.language","type":[{"code":"code"}],"binding":{"strength":"preferred","valueSet":"http://x/vs/one|4.0.1"}},
	    {"path":"Patient.gender","type":[{"code":"code"}],"binding":{"strength":"required","valueSet":"http://x/vs/one|4.0.1"}},
	    {"path":"Patient.contact","type":[{"code":"BackboneElement"}]},
	    {"path":"Patient.contact.gender","type":[{"code":"code"}],"binding":{"strength":"required","valueSet":"http://x/vs/one"}},
	    {"path":"Patient.status","type":[{"code":"code"}],"binding":{"strength":"required","valueSet":"http://x/vs/imports"}},
	    {"path":"Patient.two","type":[{"code":"code"}],"binding":{"strength":"required","valueSet":"http://x/vs/two"}},
	    {"path":"Patient.mixed","type":[{"code":"code"}],"binding":{"strength":"required","valueSet":"http://x/vs/mixed"}},
	    {"path":"Patient.missing","type":[{"code":"code"}],"binding":{"strength":"required","valueSet":"http://x/vs/nope"}},
	    {"path":"Patient.dangling","type":[{"code":"code"}],"binding":{"strength":"required","valueSet":"http://x/vs/dangling"}},
	    {"path":"Patient.cycle","type":[{"code":"code"}],"binding":{"strength":"required","valueSet":"http://x/vs/cycle"}},
	    {"path":"Patient.expansion","type":[{"code":"code"}],"binding":{"strength":"required","valueSet":"http://x/vs/expansion"}},
	    {"path":"Patient.concept","type":[{"code":"CodeableConcept"}],"binding":{"strength":"required","valueSet":"http://x/vs/one"}},
	    {"path":"Patient.value[x]","type":[{"code":"code"},{"code":"string"}],"binding":{"strength":"required","valueSet":"http://x/vs/one"}},
	    {"path":"Patient.unbound","type":[{"code":"code"}]}]}}}]}`
	valueSets := `{"resourceType":"Bundle","entry":[
	 {"resource":{"resourceType":"CodeSystem","url":"http://x/cs/a","content":"complete"}},
	 {"resource":{"resourceType":"ValueSet","url":"http://x/vs/one","compose":{"include":[{"system":"http://x/cs/a"}]}}},
	 {"resource":{"resourceType":"ValueSet","url":"http://x/vs/one-too","compose":{"include":[{"system":"http://x/cs/a","concept":[{"code":"x"}]}]}}},
	 {"resource":{"resourceType":"ValueSet","url":"http://x/vs/imports","compose":{
	   "include":[{"valueSet":["http://x/vs/one|4.0.1","http://x/vs/one-too"]},{"system":"http://x/cs/a"}],
	   "exclude":[{"system":"http://x/cs/b"}]}}},
	 {"resource":{"resourceType":"ValueSet","url":"http://x/vs/two","compose":{"include":[{"system":"http://x/cs/a"},{"system":"http://x/cs/b"}]}}},
	 {"resource":{"resourceType":"ValueSet","url":"http://x/vs/mixed","compose":{"include":[{"system":"http://x/cs/a"},{"valueSet":["http://x/vs/two"]}]}}},
	 {"resource":{"resourceType":"ValueSet","url":"http://x/vs/dangling","compose":{"include":[{"valueSet":["http://x/vs/nope"]}]}}},
	 {"resource":{"resourceType":"ValueSet","url":"http://x/vs/cycle","compose":{"include":[{"valueSet":["http://x/vs/cycle2"]}]}}},
	 {"resource":{"resourceType":"ValueSet","url":"http://x/vs/cycle2","compose":{"include":[{"valueSet":["http://x/vs/cycle"]}]}}},
	 {"resource":{"resourceType":"ValueSet","url":"http://x/vs/expansion","expansion":{"contains":[{"system":"http://x/cs/a","code":"x"}]}}}]}`
	sds, err := servedDefinitions([]byte(profiles), []string{"Patient"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := codeSystems(sds, []byte(valueSets))
	if err != nil {
		t.Fatal(err)
	}
	var got codeSystemsFile
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Patient.gender":         "http://x/cs/a",
		"Patient.contact.gender": "http://x/cs/a",
		"Patient.status":         "http://x/cs/a",
	}
	if !maps.Equal(got.Elements, want) {
		t.Errorf("elements = %v\nwant %v", got.Elements, want)
	}
	again, err := codeSystems(sds, []byte(valueSets))
	if err != nil || string(again) != string(out) {
		t.Errorf("a second run differs: %v", err)
	}
}

func TestCodeSystemsErrors(t *testing.T) {
	sds := map[string]*structureDefinition{"Patient": {Type: "Patient"}}
	cases := map[string]string{
		"not JSON":             `{`,
		"ValueSet twice":       `{"entry":[{"resource":{"resourceType":"ValueSet","url":"u"}},{"resource":{"resourceType":"ValueSet","url":"u"}}]}`,
		"ValueSet with no url": `{"entry":[{"resource":{"resourceType":"ValueSet"}}]}`,
	}
	for name, src := range cases {
		if _, err := codeSystems(sds, []byte(src)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

package main

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestSummaryElements(t *testing.T) {
	src := `{"resourceType":"Bundle","entry":[
	 {"resource":{"resourceType":"OperationDefinition","type":true,"kind":"operation"}},
	 {"resource":{"resourceType":"StructureDefinition","kind":"resource","type":"Observation","derivation":"constraint","fhirVersion":"4.0.1",
	   "snapshot":{"element":[{"path":"Observation"},{"path":"Observation.nothing","isSummary":true}]}}},
	 {"resource":{"resourceType":"StructureDefinition","kind":"resource","type":"Account","derivation":"specialization","fhirVersion":"4.0.1",
	   "snapshot":{"element":[{"path":"Account"},{"path":"Account.id","isSummary":true}]}}},
	 {"resource":{"resourceType":"StructureDefinition","kind":"resource","type":"Observation","derivation":"specialization","fhirVersion":"4.0.1",
	   "snapshot":{"element":[
	    {"path":"Observation","min":0},
	    {"path":"Observation.id","isSummary":true,"type":[{"code":"http://hl7.org/fhirpath/System.String"}]},
	    {"path":"Observation.status","isSummary":true,"isModifier":true,"min":1,"type":[{"code":"code"}]},
	    {"path":"Observation.text","type":[{"code":"Narrative"}]},
	    {"path":"Observation.value[x]","isSummary":true,"type":[{"code":"Quantity"},{"code":"string"}]},
	    {"path":"Observation.referenceRange","type":[{"code":"BackboneElement"}]},
	    {"path":"Observation.referenceRange.low","type":[{"code":"Quantity"}]},
	    {"path":"Observation.component","isSummary":true,"type":[{"code":"BackboneElement"}]},
	    {"path":"Observation.component.code","isSummary":true,"min":1,"type":[{"code":"CodeableConcept"}]},
	    {"path":"Observation.component.referenceRange","contentReference":"#Observation.referenceRange"}]}}}]}`
	out, err := summarise([]byte(src), []string{"Observation"})
	if err != nil {
		t.Fatal(err)
	}
	var got summaryFile
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]summaryElement{
		"Observation.id":                       {Summary: true},
		"Observation.status":                   {Summary: true, Min: 1, Modifier: true},
		"Observation.text":                     {},
		"Observation.valueQuantity":            {Summary: true},
		"Observation.valueString":              {Summary: true},
		"Observation.referenceRange":           {Backbone: true},
		"Observation.referenceRange.low":       {},
		"Observation.component":                {Summary: true, Backbone: true},
		"Observation.component.code":           {Summary: true, Min: 1},
		"Observation.component.referenceRange": {Ref: "Observation.referenceRange"},
	}
	if len(got.Types) != 1 || !reflect.DeepEqual(got.Types["Observation"], want) {
		t.Errorf("types = %+v\nwant Observation = %+v", got.Types, want)
	}
	again, err := summarise([]byte(src), []string{"Observation"})
	if err != nil || string(again) != string(out) {
		t.Errorf("a second run differs: %v", err)
	}
}

func TestSummaryElementsErrors(t *testing.T) {
	sd := func(elements string) string {
		return `{"entry":[{"resource":{"resourceType":"StructureDefinition","kind":"resource","type":"Patient","fhirVersion":"4.0.1","snapshot":{"element":[` + elements + `]}}}]}`
	}
	cases := map[string]struct {
		src   string
		types []string
	}{
		"type missing":         {sd(`{"path":"Patient"}`), []string{"Patient", "Observation"}},
		"child before parent":  {sd(`{"path":"Patient.contact.name"}`), []string{"Patient"}},
		"child of a datatype":  {sd(`{"path":"Patient.name","type":[{"code":"HumanName"}]},{"path":"Patient.name.family"}`), []string{"Patient"}},
		"outside the type":     {sd(`{"path":"Observation.code"}`), []string{"Patient"}},
		"choice without types": {sd(`{"path":"Patient.deceased[x]"}`), []string{"Patient"}},
		"dangling reference":   {sd(`{"path":"Patient.link","type":[{"code":"BackboneElement"}]},{"path":"Patient.link.x","contentReference":"#Patient.nope"}`), []string{"Patient"}},
		"not JSON":             {`{`, []string{"Patient"}},
	}
	for name, c := range cases {
		if _, err := summarise([]byte(c.src), c.types); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// summarise is what run does with profiles-resources.json for _summary.
func summarise(data []byte, types []string) ([]byte, error) {
	sds, err := servedDefinitions(data, types)
	if err != nil {
		return nil, err
	}
	return summaryElements(sds)
}

package fhir

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

func TestSummaryElementsCoverServedTypes(t *testing.T) {
	for _, typ := range Types() {
		for _, el := range []string{".id", ".meta"} {
			if e, ok := LookupSummaryElement(typ.Name + el); !ok || !e.Summary {
				t.Errorf("%s%s: %+v, %v; want a summary element", typ.Name, el, e, ok)
			}
		}
		if e, ok := LookupSummaryElement(typ.Name + ".text"); !ok || e.Summary {
			t.Errorf("%s.text: %+v, %v; want a non-summary element", typ.Name, e, ok)
		}
	}
	// Spot checks against the R4 StructureDefinitions.
	checks := map[string]SummaryElement{
		"Patient.birthDate":                    {Summary: true},
		"Patient.deceasedBoolean":              {Summary: true, Modifier: true},
		"Patient.deceasedDateTime":             {Summary: true, Modifier: true},
		"Patient.contact":                      {Backbone: true},
		"Patient.communication.language":       {Min: 1},
		"Patient.link":                         {Summary: true, Modifier: true, Backbone: true},
		"Patient.link.other":                   {Summary: true, Min: 1},
		"Observation.status":                   {Summary: true, Min: 1, Modifier: true},
		"Observation.code":                     {Summary: true, Min: 1},
		"Observation.category":                 {},
		"Observation.valueQuantity":            {Summary: true},
		"Observation.component.valueString":    {Summary: true},
		"Observation.component.referenceRange": {Ref: "Observation.referenceRange"},
		"Specimen.accessionIdentifier":         {Summary: true},
		"Appointment.participant":              {Min: 1, Backbone: true},
		"AuditEvent.recorded":                  {Summary: true, Min: 1},
	}
	for path, want := range checks {
		if got, ok := LookupSummaryElement(path); !ok || got != want {
			t.Errorf("%s = %+v, %v; want %+v", path, got, ok, want)
		}
	}
	if _, ok := LookupSummaryElement("Patient.nickname"); ok {
		t.Error("Patient.nickname is not an element")
	}
}

func TestSummarize(t *testing.T) {
	obs := summaryDoc(t, `{"resourceType":"Observation","id":"o1","meta":{"versionId":"2"},
	 "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">BP</div>"},
	 "contained":[{"resourceType":"Specimen","id":"s"}],
	 "extension":[{"url":"http://example.org/x","valueString":"y"}],
	 "modifierExtension":[{"url":"http://example.org/m","valueBoolean":true}],
	 "status":"final","_status":{"extension":[{"url":"http://example.org/why","valueString":"z"}]},
	 "category":[{"text":"vital-signs"}],
	 "code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},
	 "subject":{"reference":"Patient/p1"},
	 "effectiveDateTime":"2024-03-10T08:00:00Z",
	 "note":[{"text":"left arm"}],
	 "referenceRange":[{"text":"normal"}],
	 "component":[
	  {"id":"c1","extension":[{"url":"http://example.org/c","valueString":"x"}],
	   "code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},
	   "valueQuantity":{"value":120,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"},
	   "interpretation":[{"text":"normal"}],"referenceRange":[{"text":"<140"}]},
	  {"dataAbsentReason":{"text":"not measured"},"code":{"text":"diastolic"}}]}`)

	cases := []struct {
		mode string
		want string
	}{
		{SummaryTrue, `{"resourceType":"Observation","id":"o1","meta":{"versionId":"2"},
		 "modifierExtension":[{"url":"http://example.org/m","valueBoolean":true}],
		 "status":"final","_status":{"extension":[{"url":"http://example.org/why","valueString":"z"}]},
		 "code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},
		 "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-03-10T08:00:00Z",
		 "component":[
		  {"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},
		   "valueQuantity":{"value":120,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
		  {"code":{"text":"diastolic"}}]}`},
		{SummaryText, `{"resourceType":"Observation","id":"o1","meta":{"versionId":"2"},
		 "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">BP</div>"},
		 "status":"final","_status":{"extension":[{"url":"http://example.org/why","valueString":"z"}]},
		 "code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]}}`},
	}
	for _, c := range cases {
		got, err := Summarize(obs, c.mode)
		if err != nil {
			t.Fatalf("%s: %v", c.mode, err)
		}
		if want := summaryDoc(t, c.want); !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			t.Errorf("_summary=%s:\n got %s\nwant %s", c.mode, g, summaryJSON(t, want))
		}
	}

	data, err := Summarize(obs, SummaryData)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := data["text"]; ok || len(data) != len(obs)-1 {
		t.Errorf("_summary=data kept %d of %d members, text %v", len(data), len(obs), data["text"])
	}
	if _, ok := obs["text"]; !ok {
		t.Error("Summarize changed its argument")
	}

	for _, bad := range []struct {
		doc  map[string]any
		mode string
	}{
		{map[string]any{"resourceType": "Account"}, SummaryTrue},
		{map[string]any{}, SummaryTrue},
		{obs, "count"},
		{obs, "false"},
	} {
		if _, err := Summarize(bad.doc, bad.mode); err == nil {
			t.Errorf("Summarize(%v, %q): no error", bad.doc["resourceType"], bad.mode)
		}
	}
}

func TestSummarizePatient(t *testing.T) {
	p := summaryDoc(t, `{"resourceType":"Patient","id":"p","active":true,"name":[{"family":"Chalmers","given":["Peter"]}],
	 "birthDate":"1974-12-25","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1974-12-25T14:35:45-05:00"}]},
	 "deceasedBoolean":false,"maritalStatus":{"text":"married"},"photo":[{"contentType":"image/png","data":"AAAA"}],
	 "contact":[{"name":{"family":"Chalmers"}}],"communication":[{"language":{"text":"English"},"preferred":true}],
	 "link":[{"other":{"reference":"Patient/q"},"type":"seealso","id":"l1"}]}`)
	got, err := Summarize(p, SummaryTrue)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"_birthDate", "active", "birthDate", "deceasedBoolean", "id", "link", "name", "resourceType"}
	if !slices.Equal(keys, want) {
		t.Errorf("kept %v, want %v", keys, want)
	}
	if link := got["link"].([]any)[0].(map[string]any); len(link) != 2 || link["type"] != "seealso" {
		t.Errorf("link = %v, want other and type", link)
	}
	text, err := Summarize(p, SummaryText)
	if err != nil {
		t.Fatal(err)
	}
	if len(text) != 2 || text["id"] != "p" { // Patient has no mandatory top-level element
		t.Errorf("_summary=text = %v", text)
	}
}

func summaryDoc(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return m
}

func summaryJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

package rules

import (
	"strings"
	"testing"

	"github.com/clinic/ehr/internal/fhirerr"
)

// The requirements of fhir/data/workflow.json, as the rules apply them.
func TestRequirements(t *testing.T) {
	tx := newFakeTx(
		stored("Patient", "p1", `{"resourceType":"Patient"}`),
		stored("Patient", "p2", `{"resourceType":"Patient"}`),
		stored("Specimen", "s1", `{"resourceType":"Specimen","subject":{"reference":"Patient/p1"}}`),
		stored("Specimen", "s2", `{"resourceType":"Specimen","subject":{"reference":"Patient/p2"}}`),
	)
	specimen := `{"resourceType":"Specimen","status":"available","accessionIdentifier":{"value":"A1"},
		"type":{"text":"blood"},"subject":{"reference":"Patient/p1"}}`
	lab := `{"resourceType":"Observation","status":"final",
		"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],
		"code":{"coding":[{"system":"http://loinc.org","code":"718-7"}]},
		"subject":{"reference":"Patient/p1"},"specimen":{"reference":"Specimen/s1"}}`
	tests := []struct {
		name, typ, body string
		want            outcome
	}{
		{"specimen", "Specimen", specimen, accepted()},
		{"specimen without accession", "Specimen", strings.Replace(specimen, `"value":"A1"`, `"system":"x"`, 1), unprocessable("Specimen.accessionIdentifier.value")},
		{"specimen volume in cc", "Specimen", strings.Replace(specimen, `"status"`, `"collection":{"quantity":{"value":4,"system":"http://unitsofmeasure.org","code":"cc"}},"status"`, 1), unprocessable("Specimen.collection.quantity.code")},
		{"lab result", "Observation", lab, accepted()},
		{"lab result without specimen", "Observation", strings.Replace(lab, `"specimen":{"reference":"Specimen/s1"}`, `"issued":"2025-06-02T10:00:00Z"`, 1), unprocessable("Observation.specimen")},
		{"lab result on another patient's specimen", "Observation", strings.Replace(lab, "Specimen/s1", "Specimen/s2", 1), refused(fhirerr.Invalid, "Observation.specimen")},
		{"lab result on a missing specimen", "Observation", strings.Replace(lab, "Specimen/s1", "Specimen/s3", 1), refused(fhirerr.Invalid, "Observation.specimen")},
		{"lab result on a group", "Observation", strings.Replace(lab, "Patient/p1", "Group/g1", 1), unprocessable("Observation.subject")},
		{"lab result in a local code", "Observation", strings.Replace(lab, "http://loinc.org", "http://lab.example.org", 1), unprocessable("Observation.code")},
		{"other observations are not lab results", "Observation", strings.Replace(lab, `"laboratory"`, `"exam"`, 1), accepted()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := run(t, tx, tt.typ, tt.body, "")
			tt.want.check(t, c, err)
		})
	}
}

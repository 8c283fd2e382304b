package rules

import (
	"slices"
	"testing"

	"github.com/clinic/ehr/internal/fhirerr"
)

func TestParseReference(t *testing.T) {
	tests := []struct {
		ref  string
		want target
		kind refKind
	}{
		{"Patient/p1", target{"Patient", "p1"}, refServed},
		{"Observation/o-1.2/_history/3", target{"Observation", "o-1.2"}, refServed},
		{"Practitioner/dr-1", target{"Practitioner", "dr-1"}, refForeign},
		{"#tube", target{}, refElsewhere},
		{"urn:uuid:1f0c2b6e-2f0a-4c4b-9d39-3c9e0b7c0d11", target{}, refElsewhere},
		{"https://other.example.org/fhir/Patient/9", target{}, refElsewhere},
		{"Patient?identifier=http://clinic.example.org/mrn|1", target{}, refElsewhere},
		{"Patient/", target{}, refMalformed},
		{"Patient/a/b", target{}, refMalformed},
		{"Patient/not an id", target{}, refMalformed},
		{"Patient", target{}, refMalformed},
		{"something", target{}, refElsewhere},
	}
	for _, tt := range tests {
		got, kind := parseReference(tt.ref)
		if got != tt.want || kind != tt.kind {
			t.Errorf("parseReference(%q) = %v, %d; want %v, %d", tt.ref, got, kind, tt.want, tt.kind)
		}
	}
}

func TestReferenceType(t *testing.T) {
	tests := map[string]string{
		`{"reference":"Group/ward-3"}`:                                  "Group",
		`{"reference":"https://other.example.org/fhir/Patient/9"}`:      "Patient",
		`{"reference":"http://x.org/fhir/Patient/9/_history/2"}`:        "Patient",
		`{"reference":"urn:uuid:1f0c2b6e-2f0a-4c4b-9d39-3c9e0b7c0d11"}`: "",
		`{"reference":"#tube"}`:                                         "",
		`{"reference":"#tube","type":"Specimen"}`:                       "Specimen",
	}
	for body, want := range tests {
		if got := referenceType(decoded(t, "Reference", body)); got != want {
			t.Errorf("referenceType(%s) = %q, want %q", body, got, want)
		}
	}
}

// The walk reaches references in components, extensions, primitive
// extensions and contained resources.
func TestWalkReferences(t *testing.T) {
	obs := decoded(t, "Observation", `{"resourceType":"Observation",
		"subject":{"reference":"Patient/p1"},
		"contained":[{"resourceType":"Specimen","id":"tube","subject":{"reference":"Patient/p2"}}],
		"component":[{"extension":[{"url":"u","valueReference":{"reference":"Patient/p3"}}]}],
		"_status":{"extension":[{"url":"u","valueReference":{"reference":"Practitioner/d1"}}]},
		"specimen":{"reference":"#tube"}}`)
	var got []string
	walkReferences(obs, func(ref node) { got = append(got, ref.path+"="+ref.str("reference")) })
	want := []string{
		"Observation._status.extension[0].valueReference=Practitioner/d1",
		"Observation.component[0].extension[0].valueReference=Patient/p3",
		"Observation.contained[0].subject=Patient/p2",
		"Observation.specimen=#tube",
		"Observation.subject=Patient/p1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("walk found\n%v\nwant\n%v", got, want)
	}
}

func TestReferencesRule(t *testing.T) {
	gone := stored("Patient", "gone", "")
	gone.Deleted = true
	tx := newFakeTx(stored("Patient", "p1", `{"resourceType":"Patient","id":"p1"}`), gone)
	tests := []struct {
		name, body string
		want       outcome
	}{
		{"current patient", `{"resourceType":"Patient","link":[{"other":{"reference":"Patient/p1"},"type":"seealso"}]}`, accepted()},
		{"unknown patient", `{"resourceType":"Patient","link":[{"other":{"reference":"Patient/nope"},"type":"seealso"}]}`, refused(fhirerr.Invalid, "Patient.link[0].other")},
		{"deleted patient", `{"resourceType":"Patient","link":[{"other":{"reference":"Patient/gone"},"type":"seealso"}]}`, refused(fhirerr.Invalid, "Patient.link[0].other")},
		{"itself", `{"resourceType":"Patient","link":[{"other":{"reference":"Patient/this"},"type":"seealso"}]}`, accepted()},
		{"malformed", `{"resourceType":"Patient","generalPractitioner":[{"reference":"Patient/"}]}`, refused(fhirerr.Invalid, "Patient.generalPractitioner[0]")},
		{"type not served", `{"resourceType":"Patient","generalPractitioner":[{"reference":"Practitioner/unknown"}]}`, accepted()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := run(t, tx, "Patient", tt.body, "")
			tt.want.check(t, c, err)
		})
	}
}

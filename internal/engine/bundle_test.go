package engine

import (
	"testing"

	"github.com/clinic/ehr/internal/fhirerr"
)

func TestNewEntry(t *testing.T) {
	cases := []struct {
		method, url string
		kind        fhirerr.Kind // "" when valid
		typ, id     string
		vid         int64
		query       string
		interaction string
		conditional bool
	}{
		{"POST", "Observation", "", "Observation", "", 0, "", "create", false},
		{"post", "/Observation", "", "Observation", "", 0, "", "create", false},
		{"PUT", "Patient/p1", "", "Patient", "p1", 0, "", "update", false},
		{"PUT", "Patient?identifier=http://x.org/mrn|7", "", "Patient", "", 0, "identifier=http://x.org/mrn|7", "update", true},
		{"DELETE", "Patient/p1", "", "Patient", "p1", 0, "", "delete", false},
		{"DELETE", "Patient?identifier=7", "", "Patient", "", 0, "identifier=7", "delete", true},
		{"GET", "Patient/p1", "", "Patient", "p1", 0, "", "read", false},
		{"HEAD", "Patient/p1", "", "Patient", "p1", 0, "", "read", false},
		{"GET", "Patient/p1/_history/3", "", "Patient", "p1", 3, "", "vread", false},
		{"GET", "Observation?code=http://loinc.org|718-7", "", "Observation", "", 0, "code=http://loinc.org|718-7", "search-type", false},
		{"GET", "AuditEvent?outcome=4", "", "AuditEvent", "", 0, "outcome=4", "search-type", false},
		{"POST", "Observation/o1", fhirerr.Invalid, "", "", 0, "", "", false},
		{"POST", "Observation?x=1", fhirerr.Invalid, "", "", 0, "", "", false},
		{"PUT", "Patient", fhirerr.Invalid, "", "", 0, "", "", false},
		{"PUT", "Patient/p1?x=1", fhirerr.Invalid, "", "", 0, "", "", false},
		{"PUT", "Patient/bad_id!", fhirerr.Invalid, "", "", 0, "", "", false},
		{"DELETE", "Patient", fhirerr.Invalid, "", "", 0, "", "", false},
		{"POST", "AuditEvent", fhirerr.NotAllowed, "", "", 0, "", "", false},
		{"POST", "Practitioner", fhirerr.NotFound, "", "", 0, "", "", false},
		{"PATCH", "Patient/p1", fhirerr.NotAllowed, "", "", 0, "", "", false},
		{"TRACE", "Patient/p1", fhirerr.Invalid, "", "", 0, "", "", false},
		{"GET", "http://other.example.org/fhir/Patient/p1", fhirerr.Invalid, "", "", 0, "", "", false},
		{"GET", "Patient/p1/_history/zero", fhirerr.NotFound, "", "", 0, "", "", false},
		{"GET", "Patient/p1/$everything", fhirerr.Invalid, "", "", 0, "", "", false},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.url, func(t *testing.T) {
			en, err := NewEntry(c.method, c.url)
			if c.kind != "" {
				if fhirerr.KindOf(err) != c.kind {
					t.Fatalf("error %v, want kind %s", err, c.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if en.Type != c.typ || en.ID != c.id || en.VID != c.vid || en.Query != c.query {
				t.Errorf("got %s %s %d %q", en.Type, en.ID, en.VID, en.Query)
			}
			if en.Interaction() != c.interaction || en.Conditional() != c.conditional {
				t.Errorf("interaction %s conditional %t", en.Interaction(), en.Conditional())
			}
		})
	}
	en, _ := NewEntry("POST", "Specimen")
	en.IfNoneExist = "accession=x|1"
	if !en.Conditional() {
		t.Error("a create with ifNoneExist is conditional")
	}
}

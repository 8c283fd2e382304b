package search

import (
	"net/url"
	"testing"
)

// TestTokenImplicitSystem runs token queries against the entries of small
// resources: a code element with a required binding to one code system is
// found by system|code and system| as well as by code, and no longer by
// |code; string and id values keep no system.
func TestTokenImplicitSystem(t *testing.T) {
	docs := map[string]string{
		"Patient":     `{"resourceType":"Patient","id":"p1","gender":"female"}`,
		"Observation": `{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"}}`,
		"AuditEvent":  `{"resourceType":"AuditEvent","id":"a1","action":"R","source":{"site":"clinic-ehr"},"agent":[{"altId":"house"}]}`,
	}
	tests := []struct {
		typ, query string
		want       bool
	}{
		{"Patient", "gender=female", true},
		{"Patient", "gender=http://hl7.org/fhir/administrative-gender|female", true},
		{"Patient", "gender=http://hl7.org/fhir/administrative-gender|", true},
		{"Patient", "gender=http://hl7.org/fhir/administrative-gender|male", false},
		{"Patient", "gender=|female", false}, // explicitly no system
		{"Patient", "gender=http://example.org/other|female", false},
		{"Patient", "gender:not=http://hl7.org/fhir/administrative-gender|female", false},
		{"Observation", "status=http://hl7.org/fhir/observation-status|final", true},
		{"Observation", "status=final", true},
		{"Observation", "status=|final", false},
		{"AuditEvent", "action=http://hl7.org/fhir/audit-event-action|R", true},
		{"AuditEvent", "site=|clinic-ehr", true}, // a string: no system
		{"AuditEvent", "site=clinic-ehr", true},
		{"AuditEvent", "altid=|house", true},
	}
	r := registry(t)
	for _, tt := range tests {
		t.Run(tt.typ+"?"+tt.query, func(t *testing.T) {
			doc := decodeJSON(t, []byte(docs[tt.typ]))
			entries, _, err := r.Extract(tt.typ, doc)
			if err != nil {
				t.Fatal(err)
			}
			params, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			req, err := r.Parse(tt.typ, params, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, supported := MatchEntries(req.Where, doc["id"].(string), entries)
			if !supported || got != tt.want {
				t.Errorf("match = %v (supported %v), want %v", got, supported, tt.want)
			}
		})
	}
}

package load

import (
	"net/http"
	"strings"
	"testing"
)

func reply(status int, body string, header ...string) *Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &Response{Status: status, Header: h, Body: []byte(body)}
}

func TestCheckResource(t *testing.T) {
	tests := []struct {
		name    string
		r       *Response
		wantErr string
	}{
		{"ok", reply(200, `{"resourceType":"Patient","id":"p-1"}`), ""},
		{"wrong status with outcome", reply(404, `{"resourceType":"OperationOutcome","issue":[{"code":"not-found","diagnostics":"Patient/p-1 not found"}]}`), "status 404, want 200 (not-found: Patient/p-1 not found)"},
		{"wrong type", reply(200, `{"resourceType":"Observation","id":"p-1"}`), "resourceType"},
		{"wrong id", reply(200, `{"resourceType":"Patient","id":"p-2"}`), `id "p-2", want "p-1"`},
		{"no id", reply(200, `{"resourceType":"Patient"}`), "no id"},
		{"not JSON", reply(200, `<html>`), "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CheckResource(tt.r, 200, "Patient", "p-1")
			checkErr(t, err, tt.wantErr)
		})
	}
}

func TestCheckCreated(t *testing.T) {
	const body = `{"resourceType":"Observation","id":"o1","meta":{"versionId":"1"}}`
	tests := []struct {
		name    string
		r       *Response
		wantErr string
	}{
		{"ok", reply(201, body, "Location", "http://h/fhir/Observation/o1/_history/1"), ""},
		{"200 instead of 201", reply(200, body, "Location", "http://h/fhir/Observation/o1/_history/1"), "status 200, want 201"},
		{"no Location", reply(201, body), "Location"},
		{"Location of another", reply(201, body, "Location", "http://h/fhir/Observation/o2/_history/1"), "Location"},
		{"version 2", reply(201, strings.Replace(body, `"1"`, `"2"`, 1), "Location", "http://h/fhir/Observation/o1/_history/1"), "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CheckCreated(tt.r, "Observation")
			checkErr(t, err, tt.wantErr)
		})
	}
}

func TestCheckSearch(t *testing.T) {
	entry := func(typ, subject string) string {
		return `{"resource":{"resourceType":"` + typ + `","id":"x","subject":{"reference":"` + subject + `"}},"search":{"mode":"match"}}`
	}
	set := func(entries ...string) string {
		return `{"resourceType":"Bundle","type":"searchset","entry":[` + strings.Join(entries, ",") + `]}`
	}
	obs := SearchExpect{Type: "Observation", Count: 2, Hit: true, Subject: "Patient/p-1"}
	tests := []struct {
		name    string
		r       *Response
		want    SearchExpect
		wantErr string
	}{
		{"hit", reply(200, set(entry("Observation", "Patient/p-1"))), obs, ""},
		{"include entries are not matches", reply(200, set(entry("Observation", "Patient/p-1"),
			`{"resource":{"resourceType":"Patient","id":"p-1"},"search":{"mode":"include"}}`)), obs, ""},
		{"empty but built to hit", reply(200, set()), obs, "no match"},
		{"built to miss", reply(200, set(entry("Patient", ""))), SearchExpect{Type: "Patient", Miss: true}, "built to miss"},
		{"another patient's data", reply(200, set(entry("Observation", "Patient/p-2"))), obs, "not about Patient/p-1"},
		{"wrong type", reply(200, set(entry("Patient", "Patient/p-1"))), obs, "is a Patient"},
		{"page too long", reply(200, set(entry("Observation", "Patient/p-1"), entry("Observation", "Patient/p-1"), entry("Observation", "Patient/p-1"))), obs, "_count=2"},
		{"not a searchset", reply(200, `{"resourceType":"Bundle","type":"history"}`), obs, "searchset"},
		{"error status", reply(500, `{}`), obs, "status 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CheckSearch(tt.r, tt.want)
			checkErr(t, err, tt.wantErr)
		})
	}
}

func TestCheckTransaction(t *testing.T) {
	resp := func(status, loc string) string {
		return `{"response":{"status":"` + status + `","location":"` + loc + `"}}`
	}
	set := func(entries ...string) string {
		return `{"resourceType":"Bundle","type":"transaction-response","entry":[` + strings.Join(entries, ",") + `]}`
	}
	types := []string{"Specimen", "Observation"}
	tests := []struct {
		name    string
		r       *Response
		wantErr string
	}{
		{"ok", reply(200, set(resp("201 Created", "Specimen/s/_history/1"), resp("201 Created", "Observation/o/_history/1"))), ""},
		{"an entry not created", reply(200, set(resp("201 Created", "Specimen/s/_history/1"), resp("200 OK", "Observation/o/_history/2"))), "entry 1"},
		{"entries out of order", reply(200, set(resp("201 Created", "Observation/o/_history/1"), resp("201 Created", "Specimen/s/_history/1"))), "not a Specimen"},
		{"missing entry", reply(200, set(resp("201 Created", "Specimen/s/_history/1"))), "1 response entries for 2"},
		{"batch-response", reply(200, `{"resourceType":"Bundle","type":"batch-response"}`), "transaction-response"},
		{"refused", reply(400, `{"resourceType":"OperationOutcome","issue":[{"code":"invalid","diagnostics":"bad"}]}`), "status 400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, CheckTransaction(tt.r, types), tt.wantErr)
		})
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Errorf("accepted, want an error containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("error %q, want it to contain %q", err, want)
	}
}

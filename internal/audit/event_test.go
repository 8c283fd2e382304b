package audit

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

var when = time.Date(2024, 5, 6, 7, 8, 9, 123_000_000, time.UTC)

var clinician = Agent{
	Subject: "user-7", ClientID: "chart-app", FHIRUser: "Practitioner/p1", JTI: "jti-1",
	Issuer: "https://idp.example", Address: "192.0.2.10", PurposeOfUse: []string{"TREAT"},
}

// Expected JSON of the elements that vary between cases.
const (
	agentClinician = `{"altId":"chart-app","name":"user-7","network":{"address":"192.0.2.10","type":"2"},` +
		`"policy":["urn:ietf:params:oauth:jti:jti-1"],` +
		`"purposeOfUse":[{"coding":[{"code":"TREAT","system":"http://terminology.hl7.org/CodeSystem/v3-ActReason"}]}],` +
		`"requestor":true,"type":{"coding":[{"code":"110153","display":"Source Role ID","system":"http://dicom.nema.org/resources/ontology/DCM"}]},` +
		`"who":{"identifier":{"system":"https://idp.example","value":"user-7"},"reference":"Practitioner/p1"}}`
	agentAnonymous = `{"network":{"address":"198.51.100.4","type":"2"},"requestor":true,` +
		`"type":{"coding":[{"code":"110153","display":"Source Role ID","system":"http://dicom.nema.org/resources/ontology/DCM"}]}}`
	entitySystemObject = `"type":{"code":"2","display":"System Object","system":"http://terminology.hl7.org/CodeSystem/audit-entity-type"}`
	roleDomain         = `"role":{"code":"4","display":"Domain Resource","system":"http://terminology.hl7.org/CodeSystem/object-role"}`
	rolePatient        = `{"role":{"code":"1","display":"Patient","system":"http://terminology.hl7.org/CodeSystem/object-role"},` +
		`"type":{"code":"1","display":"Person","system":"http://terminology.hl7.org/CodeSystem/audit-entity-type"},` +
		`"what":{"reference":"Patient/123","type":"Patient"}}`
)

func resourceEntity(ref, typ string) string {
	return `{` + roleDomain + `,` + entitySystemObject + `,"what":{"reference":"` + ref + `","type":"` + typ + `"}}`
}

func queryEntity(q []byte, typ string) string {
	return `{"query":"` + base64.StdEncoding.EncodeToString(q) + `",` +
		`"role":{"code":"24","display":"Query","system":"http://terminology.hl7.org/CodeSystem/object-role"},` +
		entitySystemObject + `,"what":{"type":"` + typ + `"}}`
}

func subtype(code string) string {
	return `[{"code":"` + code + `","system":"http://hl7.org/fhir/restful-interaction"}]`
}

func TestEventResource(t *testing.T) {
	injection := []byte("GET Patient?name[$ne]=x&_id=' OR 1=1--&name=<script>\xff")
	tests := []struct {
		name  string
		event Event
		want  map[string]string // element → its JSON; "" means absent
	}{
		{
			name:  "create",
			event: Event{Interaction: "create", Agent: clinician, Entities: []string{"Patient/123/_history/1"}, Patient: "123", Type: "Patient"},
			want: map[string]string{
				"subtype": subtype("create"), "action": `"C"`, "outcome": `"0"`, "outcomeDesc": "",
				"entity": `[` + resourceEntity("Patient/123/_history/1", "Patient") + `,` + rolePatient + `]`,
			},
		},
		{
			name:  "read",
			event: Event{Interaction: "read", Agent: clinician, Entities: []string{"Observation/o1/_history/3"}, Patient: "123", Type: "Observation"},
			want: map[string]string{
				"subtype": subtype("read"), "action": `"R"`, "outcome": `"0"`,
				"entity": `[` + resourceEntity("Observation/o1/_history/3", "Observation") + `,` + rolePatient + `]`,
			},
		},
		{
			name:  "vread",
			event: Event{Interaction: "vread", Agent: clinician, Entities: []string{"Patient/123/_history/1"}, Patient: "123", Type: "Patient"},
			want: map[string]string{
				"subtype": subtype("vread"), "action": `"R"`,
				"entity": `[` + resourceEntity("Patient/123/_history/1", "Patient") + `,` + rolePatient + `]`,
			},
		},
		{
			name:  "update",
			event: Event{Interaction: "update", Agent: clinician, Entities: []string{"Patient/123/_history/2"}, Patient: "123", Type: "Patient"},
			want:  map[string]string{"subtype": subtype("update"), "action": `"U"`},
		},
		{
			name:  "delete",
			event: Event{Interaction: "delete", Agent: clinician, Entities: []string{"Specimen/s1/_history/4"}, Type: "Specimen"},
			want: map[string]string{
				"subtype": subtype("delete"), "action": `"D"`,
				"entity": `[` + resourceEntity("Specimen/s1/_history/4", "Specimen") + `]`,
			},
		},
		{
			name:  "search keeps the raw query byte for byte",
			event: Event{Interaction: "search-type", Agent: clinician, Query: injection, Patient: "123", Type: "Patient"},
			want: map[string]string{
				"subtype": subtype("search-type"), "action": `"R"`,
				"entity": `[` + queryEntity(injection, "Patient") + `,` + rolePatient + `]`,
			},
		},
		{
			name: "history",
			event: Event{Interaction: "history-instance", Agent: clinician, Type: "Patient", Patient: "123",
				Entities: []string{"Patient/123/_history/2", "Patient/123/_history/1"}},
			want: map[string]string{
				"subtype": subtype("history-instance"), "action": `"R"`,
				"entity": `[` + resourceEntity("Patient/123/_history/2", "Patient") + `,` +
					resourceEntity("Patient/123/_history/1", "Patient") + `,` + rolePatient + `]`,
			},
		},
		{
			name: "401 names no subject",
			event: Event{Interaction: "read", Outcome: OutcomeMinor, OutcomeDesc: "invalid token",
				Agent: Agent{Address: "198.51.100.4"}, Type: "Patient"},
			want: map[string]string{
				"outcome": `"4"`, "outcomeDesc": `"invalid token"`, "agent.0": agentAnonymous,
				"entity": `[{` + roleDomain + `,` + entitySystemObject + `,"what":{"type":"Patient"}}]`,
			},
		},
		{
			name: "503 is a serious failure",
			event: Event{Interaction: "create", Outcome: OutcomeSerious, OutcomeDesc: "storage unavailable",
				Agent: clinician, Type: "Observation", RequestID: "req-9"},
			want: map[string]string{
				"outcome": `"8"`, "outcomeDesc": `"storage unavailable"`, "agent.0": agentClinician,
				"entity": `[{` + roleDomain + `,` + entitySystemObject + `,"what":{"type":"Observation"}},` +
					`{"type":{"code":"XrequestId","system":"https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType"},"what":{"identifier":{"value":"req-9"}}}]`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.event.Recorded = when
			res := tt.event.Resource("ae-1")
			checkCommon(t, res)
			for key, want := range tt.want {
				got := elementJSON(t, res, key)
				if got != want {
					t.Errorf("%s:\n got %s\nwant %s", key, got, want)
				}
			}
		})
	}
}

// checkCommon checks the elements every REST AuditEvent shares.
func checkCommon(t *testing.T, res map[string]any) {
	t.Helper()
	want := map[string]string{
		"resourceType": `"AuditEvent"`,
		"id":           `"ae-1"`,
		"recorded":     `"2024-05-06T07:08:09.123Z"`,
		"type":         `{"code":"rest","display":"Restful Operation","system":"http://terminology.hl7.org/CodeSystem/audit-event-type"}`,
		"agent.1": `{"requestor":false,"type":{"coding":[{"code":"110152","display":"Destination Role ID",` +
			`"system":"http://dicom.nema.org/resources/ontology/DCM"}]},"who":{"display":"ehrd"}}`,
		"source": `{"observer":{"display":"ehrd"},"type":[{"code":"4","display":"Application Server",` +
			`"system":"http://terminology.hl7.org/CodeSystem/security-source-type"}]}`,
	}
	for key, w := range want {
		if got := elementJSON(t, res, key); got != w {
			t.Errorf("%s:\n got %s\nwant %s", key, got, w)
		}
	}
}

// elementJSON encodes res[key], or res[name][i] for "name.i"; "" when absent.
func elementJSON(t *testing.T, res map[string]any, key string) string {
	t.Helper()
	var v any
	switch key {
	case "agent.0", "agent.1":
		v = res["agent"].([]any)[key[len(key)-1]-'0']
	default:
		var ok bool
		if v, ok = res[key]; !ok {
			return ""
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %s: %v", key, err)
	}
	return string(b)
}

func TestQueryRoundTrip(t *testing.T) {
	raw := []byte("GET Observation?code=x&_id=' OR 1=1;--\x00\xfe\n")
	e := Event{Interaction: "search-type", Query: raw, Type: "Observation", Recorded: when}
	body, err := json.Marshal(e.Resource("q"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Entity []struct{ Query string } `json:"entity"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	got, err := base64.StdEncoding.DecodeString(doc.Entity[0].Query)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, raw) {
		t.Fatalf("query changed: got %q want %q", got, raw)
	}
}

// The resource must look like decoded JSON, so that index extraction sees
// the same shapes it sees for stored resources.
func TestResourceIsJSONShaped(t *testing.T) {
	e := Event{Interaction: "read", Agent: clinician, Entities: []string{"Patient/1/_history/1"}, Patient: "1",
		Query: []byte("x"), RequestID: "r", Recorded: when}
	res := e.Resource("id")
	body, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(body, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, res) {
		t.Fatalf("resource differs from its JSON round trip:\n%v\n%v", res, back)
	}
}

func TestOutcomeAndAction(t *testing.T) {
	outcomes := []struct{ status, want int }{{200, 0}, {201, 0}, {304, 0}, {401, 4}, {404, 4}, {500, 8}, {503, 8}}
	for _, tt := range outcomes {
		if got := OutcomeForStatus(tt.status); got != tt.want {
			t.Errorf("OutcomeForStatus(%d) = %d, want %d", tt.status, got, tt.want)
		}
	}
	actions := map[string]string{
		"create": "C", "read": "R", "vread": "R", "update": "U", "patch": "U", "delete": "D",
		"history-instance": "R", "history-type": "R", "search-type": "R", "search-system": "R",
		"capabilities": "R", "batch": "E", "transaction": "E", "operation": "E",
	}
	for interaction, want := range actions {
		if got := ActionFor(interaction); got != want {
			t.Errorf("ActionFor(%q) = %q, want %q", interaction, got, want)
		}
	}
}

// The stored body must be canonical JSON (compact, keys sorted at every
// level): what a map of it encodes to. The typed structs of balp.go promise
// it by the order of their fields; this holds them to it with every optional
// element present and absent.
func TestBodyIsCanonical(t *testing.T) {
	full := Agent{Subject: "user-7", ClientID: "front-desk", FHIRUser: "Practitioner/p1", JTI: "jti-1",
		Issuer: "https://idp.example", Address: "10.0.0.7", PurposeOfUse: []string{"TREAT", "http://x.example|ETREAT"}}
	events := []Event{
		{},
		{Interaction: "read", Agent: full, Entities: []string{"Patient/1/_history/2"}, Patient: "1", Type: "Patient", RequestID: "r-1"},
		{Interaction: "search-type", Agent: Agent{Subject: "svc"}, Query: []byte("GET /fhir/Observation?code=<x>&y"), Type: "Observation"},
		{Interaction: "create", Outcome: OutcomeMinor, OutcomeDesc: "invalid <resource> & more", Agent: Agent{FHIRUser: "Patient/2"}, Type: "Observation"},
		{Interaction: "transaction", Action: "E", Entities: []string{"Observation/a/_history/1", "Specimen/b/_history/1"}},
	}
	r := &Recorder{opts: Options{NewID: sequentialIDs()}.withDefaults()}
	for i, e := range events {
		e.Recorded = when
		w, err := r.render(&e, when)
		if err != nil {
			t.Fatalf("event %d: render: %v", i, err)
		}
		var doc map[string]any
		if err := json.Unmarshal(w.Resource.Body, &doc); err != nil {
			t.Fatalf("event %d: decode: %v", i, err)
		}
		canonical, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(w.Resource.Body, canonical) {
			t.Errorf("event %d: stored body is not canonical:\n got %s\nwant %s", i, w.Resource.Body, canonical)
		}
	}
}

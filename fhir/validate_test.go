package fhir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// decode parses JSON the way the server does: json.Number for numbers.
func decode(t testing.TB, data []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return doc
}

func readExample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "valid", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestValidateAcceptsExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "valid", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	covered := map[string]bool{}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			doc := decode(t, readExample(t, filepath.Base(f)))
			resourceType, _ := doc["resourceType"].(string)
			covered[resourceType] = true
			if issues := Validate(resourceType, doc); len(issues) > 0 {
				t.Errorf("valid %s refused: %+v", resourceType, issues)
			}
		})
	}
	for _, ti := range Types() {
		if !covered[ti.Name] {
			t.Errorf("no valid example of %s in testdata/valid", ti.Name)
		}
	}
}

// wantIssue is the part of an Issue a refusal test pins down.
type wantIssue struct{ code, expression string }

func TestValidateRefuses(t *testing.T) {
	tests := []struct {
		name         string
		resourceType string
		doc          string
		want         []wantIssue
	}{
		{"birthDate is a number", "Patient",
			`{"resourceType":"Patient","birthDate":19840712}`,
			[]wantIssue{{CodeStructure, "Patient.birthDate"}}},
		{"birthDate in a foreign format", "Patient",
			`{"resourceType":"Patient","birthDate":"12/07/1984"}`,
			[]wantIssue{{CodeValue, "Patient.birthDate"}}},
		{"unknown element", "Patient",
			`{"resourceType":"Patient","nickname":"Mari"}`,
			[]wantIssue{{CodeStructure, "Patient.nickname"}}},
		{"unknown nested element", "Patient",
			`{"resourceType":"Patient","name":[{"family":"Garcia"},{"family":"Lopez","middle":"E"}]}`,
			[]wantIssue{{CodeStructure, "Patient.name[1].middle"}}},
		{"gender outside its required binding", "Patient",
			`{"resourceType":"Patient","gender":"foo"}`,
			[]wantIssue{{CodeCodeInvalid, "Patient.gender"}}},
		{"wrong resourceType", "Patient",
			`{"resourceType":"Observation"}`,
			[]wantIssue{{CodeInvalid, "Patient.resourceType"}}},
		{"missing resourceType", "Patient",
			`{"gender":"male"}`,
			[]wantIssue{{CodeRequired, "Patient.resourceType"}}},
		{"name is not an array", "Patient",
			`{"resourceType":"Patient","name":{"family":"Garcia"}}`,
			[]wantIssue{{CodeStructure, "Patient.name"}}},
		{"given item is not a string", "Patient",
			`{"resourceType":"Patient","name":[{"given":["Maria",7]}]}`,
			[]wantIssue{{CodeStructure, "Patient.name[0].given[1]"}}},
		{"contained resource without resourceType", "Patient",
			`{"resourceType":"Patient","contained":[{"id":"x"}]}`,
			[]wantIssue{{CodeRequired, "Patient.contained[0].resourceType"}}},
		{"several issues, in document order", "Patient",
			`{"resourceType":"Patient","gender":"F","birthDate":1984,"name":[{},{},{"given":[1]},{},{},{},{},{},{},{},{"given":[2]}]}`,
			[]wantIssue{
				{CodeStructure, "Patient.birthDate"},
				{CodeCodeInvalid, "Patient.gender"},
				{CodeStructure, "Patient.name[2].given[0]"},
				{CodeStructure, "Patient.name[10].given[0]"},
			}},
		{"Observation without code", "Observation",
			`{"resourceType":"Observation","status":"final"}`,
			[]wantIssue{{CodeRequired, "Observation.code"}}},
		{"Observation status outside its binding", "Observation",
			`{"resourceType":"Observation","status":"done","code":{"text":"x"}}`,
			[]wantIssue{{CodeCodeInvalid, "Observation.status"}}},
		{"component without code", "Observation",
			`{"resourceType":"Observation","status":"final","code":{"text":"BP"},"component":[{"valueQuantity":{"value":120}}]}`,
			[]wantIssue{{CodeRequired, "Observation.component[0].code"}}},
		{"quantity value is a string", "Observation",
			`{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":"120"}}`,
			[]wantIssue{{CodeStructure, "Observation.valueQuantity.value"}}},
		{"misspelled value[x]", "Observation",
			`{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantityy":{}}`,
			[]wantIssue{{CodeStructure, "Observation.valueQuantityy"}}},
		{"Specimen status outside its binding", "Specimen",
			`{"resourceType":"Specimen","status":"lost"}`,
			[]wantIssue{{CodeCodeInvalid, "Specimen.status"}}},
		{"MedicationAdministration without subject", "MedicationAdministration",
			`{"resourceType":"MedicationAdministration","status":"completed","medicationCodeableConcept":{"text":"x"},"effectiveDateTime":"2024-01-01"}`,
			[]wantIssue{{CodeRequired, "MedicationAdministration.subject"}}},
		{"Appointment without participant", "Appointment",
			`{"resourceType":"Appointment","status":"booked"}`,
			[]wantIssue{{CodeRequired, "Appointment.participant"}}},
		{"AuditEvent without agent, source and type", "AuditEvent",
			`{"resourceType":"AuditEvent","recorded":"2024-03-01T10:15:00Z"}`,
			[]wantIssue{
				{CodeRequired, "AuditEvent.agent"},
				{CodeRequired, "AuditEvent.source"},
				{CodeRequired, "AuditEvent.type"},
			}},
		{"type not served", "Practitioner",
			`{"resourceType":"Practitioner"}`,
			[]wantIssue{{CodeNotSupported, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issues := Validate(tt.resourceType, decode(t, []byte(tt.doc)))
			var got []wantIssue
			for _, is := range issues {
				if is.Severity != SeverityError || is.Diagnostics == "" {
					t.Errorf("issue %+v: want severity error and diagnostics", is)
				}
				got = append(got, wantIssue{is.Code, is.Expression})
			}
			if !equalIssues(got, tt.want) {
				t.Errorf("issues = %+v\nwant %+v\nfull: %+v", got, tt.want, issues)
			}
		})
	}
}

func equalIssues(a, b []wantIssue) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestValidateDiagnostics(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"type", `{"resourceType":"Patient","birthDate":1984}`, "expected string (FHIR date), found number"},
		{"pattern", `{"resourceType":"Patient","birthDate":"1984-13-45"}`, "not a valid date"},
		{"unknown element", `{"resourceType":"Patient","nickname":"x"}`, `unknown element "nickname"`},
		{"enum", `{"resourceType":"Patient","gender":"foo"}`, `code is not one of "male", "female", "other", "unknown"`},
		{"const", `{"resourceType":"Observation"}`, `must be "Patient"`},
		{"required", `{"name":[]}`, `missing required element "resourceType"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issues := Validate("Patient", decode(t, []byte(tt.doc)))
			if len(issues) != 1 || issues[0].Diagnostics != tt.want {
				t.Errorf("issues = %+v, want one with diagnostics %q", issues, tt.want)
			}
		})
	}
}

// Diagnostics end up in OperationOutcomes and logs: they must not carry
// the resource's content.
func TestValidateDiagnosticsHideValues(t *testing.T) {
	const secret = "SECRET-4412"
	doc := `{"resourceType":"Patient","gender":"` + secret + `","birthDate":"` + secret + `",
		"name":[{"family":["` + secret + `"]}],"telecom":[{"system":"` + secret + `"}],"active":"` + secret + `"}`
	issues := Validate("Patient", decode(t, []byte(doc)))
	if len(issues) != 5 {
		t.Errorf("got %d issues, want 5: %+v", len(issues), issues)
	}
	for _, is := range issues {
		if strings.Contains(is.Diagnostics, secret) || strings.Contains(is.Expression, secret) {
			t.Errorf("issue reveals the value: %+v", is)
		}
	}
}

// The schema library must treat json.Number (decoding with UseNumber, which
// keeps 98.60 exact) and float64 alike.
func TestValidateNumberRepresentations(t *testing.T) {
	raw := readExample(t, "observation-body-temperature.json")
	withNumber := decode(t, raw)
	value := withNumber["valueQuantity"].(map[string]any)["value"]
	if n, ok := value.(json.Number); !ok || n.String() != "98.60" {
		t.Fatalf("decoded value = %#v, want json.Number 98.60", value)
	}
	var withFloat map[string]any
	if err := json.Unmarshal(raw, &withFloat); err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]map[string]any{"json.Number": withNumber, "float64": withFloat} {
		if issues := Validate("Observation", doc); len(issues) > 0 {
			t.Errorf("%s: valid Observation refused: %+v", name, issues)
		}
	}
	// A number where a string belongs is still caught as a json.Number.
	bad := decode(t, []byte(`{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueString":42}`))
	issues := Validate("Observation", bad)
	if len(issues) != 1 || issues[0].Expression != "Observation.valueString" {
		t.Errorf("issues = %+v, want one at Observation.valueString", issues)
	}
}

func TestValidateConcurrently(t *testing.T) {
	valid := decode(t, readExample(t, "patient.json"))
	invalid := decode(t, []byte(`{"resourceType":"Patient","gender":"foo"}`))
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if issues := Validate("Patient", valid); len(issues) != 0 {
					t.Errorf("valid refused: %+v", issues)
					return
				}
				if issues := Validate("Patient", invalid); len(issues) != 1 {
					t.Errorf("invalid: %+v", issues)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// Compiling runs once at start-up; it must stay well under a second.
func TestSchemaCompileTime(t *testing.T) {
	data, err := readData(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	types, err := typeNames()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := compileSchemas(data, types); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	t.Logf("schema compiled in %v", elapsed)
	// Generous bound: the race detector slows compilation several times.
	if elapsed > 5*time.Second {
		t.Errorf("schema compiled in %v", elapsed)
	}
}

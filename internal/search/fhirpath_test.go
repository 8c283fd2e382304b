package search

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/clinic/ehr/fhir"
)

func TestPathEval(t *testing.T) {
	patient := `{"resourceType":"Patient","id":"p1",
		"name":[{"use":"official","family":"Müller","given":["Zoë","Anne"]},{"use":"nickname","family":"Mu"}],
		"telecom":[{"system":"phone","value":"555"},{"system":"email","value":"z@x.org"}],
		"active":false,
		"extension":[{"url":"http://x/race","valueString":"r"},{"url":"http://x/other","valueString":"o"}]}`
	obs := `{"resourceType":"Observation",
		"subject":{"reference":"https://ehr.example/fhir/Patient/1"},
		"performer":[{"reference":"Practitioner/2"},{"reference":"Patient/3/_history/4"},{"type":"Patient","identifier":{"value":"x"}},{"reference":"#contained"}],
		"effectivePeriod":{"start":"2024-01-01"},
		"valueCodeableConcept":{"text":"positive"},
		"component":[{"valueQuantity":{"value":1}},{"valueString":"s"}]}`
	condition := `{"resourceType":"Condition","onsetAge":{"value":42,"code":"a"}}`
	tests := []struct {
		expr, doc string
		want      []string // "type:json" per item
	}{
		{"Patient.name.family", patient, []string{`:"Müller"`, `:"Mu"`}},
		{"Patient.name.given", patient, []string{`:"Zoë"`, `:"Anne"`}},
		{"Patient.name.first().given", patient, []string{`:"Zoë"`, `:"Anne"`}},
		{"Patient.telecom.where(system='phone').value", patient, []string{`:"555"`}},
		{"Patient.telecom.where(system = 'email' or system = 'phone').value", patient, []string{`:"555"`, `:"z@x.org"`}},
		{"Patient.name.where($this.use = 'nickname').family", patient, []string{`:"Mu"`}},
		{"Patient.name.where(use != 'nickname' and family.exists()).family", patient, []string{`:"Müller"`}},
		{"Patient.extension('http://x/race').value", patient, []string{`string:"r"`}},
		{"Patient.active.not()", patient, []string{`boolean:true`}},
		{"Patient.photo.empty()", patient, []string{`boolean:true`}},
		{"Patient.name.family | Patient.id", patient, []string{`:"Müller"`, `:"Mu"`, `:"p1"`}},
		{"Resource.id", patient, []string{`:"p1"`}},
		{"DomainResource.id", patient, []string{`:"p1"`}},
		{"Observation.id", patient, nil}, // another type's path selects nothing
		{"Observation.effective", obs, []string{`Period:{"start":"2024-01-01"}`}},
		{"Observation.value as CodeableConcept", obs, []string{`CodeableConcept:{"text":"positive"}`}},
		{"(Observation.value as CodeableConcept).text", obs, []string{`:"positive"`}},
		{"Observation.value as Quantity", obs, nil},
		{"Observation.value.ofType(CodeableConcept).text", obs, []string{`:"positive"`}},
		{"Observation.value.is(CodeableConcept)", obs, []string{`boolean:true`}},
		{"Observation.value is FHIR.Quantity", obs, []string{`boolean:false`}},
		{"Observation.component.value.as(Quantity)", obs, []string{`Quantity:{"value":1}`}},
		{"Observation.component.value.as(String)", obs, []string{`string:"s"`}},
		{"Observation | Observation.component", obs, []string{`Observation:…`, `:{"valueQuantity":{"value":1}}`, `:{"valueString":"s"}`}},
		{"Observation.subject.where(resolve() is Patient)", obs, []string{`:{"reference":"https://ehr.example/fhir/Patient/1"}`}},
		{"Observation.performer.where(resolve() is Patient)", obs, []string{
			`:{"reference":"Patient/3/_history/4"}`, `:{"identifier":{"value":"x"},"type":"Patient"}`,
		}},
		{"Observation.performer.where(resolve().is(Practitioner))", obs, []string{`:{"reference":"Practitioner/2"}`}},
		{"Condition.onset as Quantity", condition, []string{`Age:{"code":"a","value":42}`}}, // Age is a Quantity
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			n, err := parsePath(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			doc := decodeJSON(t, []byte(tt.doc))
			var got []string
			for _, it := range n.eval([]item{{v: doc, typ: doc["resourceType"].(string)}}) {
				got = append(got, formatItem(it))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func formatItem(it item) string {
	if m, ok := it.v.(map[string]any); ok && m["resourceType"] != nil {
		return it.typ + ":…"
	}
	b, _ := json.Marshal(it.v)
	return it.typ + ":" + string(b)
}

// TestPathElementPaths: values reached by plain child steps from a resource
// carry their element path, which token search keys code systems by.
func TestPathElementPaths(t *testing.T) {
	patient := `{"resourceType":"Patient","id":"p1","gender":"female",
		"contact":[{"gender":"male"},{"gender":"other"}],
		"telecom":[{"system":"phone","value":"555"}],
		"extension":[{"url":"http://x/u","valueCode":"c"}],"active":true}`
	obs := `{"resourceType":"Observation","status":"final",
		"valueCodeableConcept":{"text":"positive"},
		"component":[{"code":{"text":"a"}},{"code":{"text":"b"}}],
		"contained":[{"resourceType":"Specimen","status":"available"}]}`
	tests := []struct {
		expr, doc string
		want      []string // path per item
	}{
		{"Patient.gender", patient, []string{"Patient.gender"}},
		{"Patient.contact.gender", patient, []string{"Patient.contact.gender", "Patient.contact.gender"}},
		{"Resource.id", patient, []string{"Patient.id"}},
		{"Patient.gender | Patient.id", patient, []string{"Patient.gender", "Patient.id"}},
		{"Patient.telecom.where(system='phone').value", patient, []string{"Patient.telecom.value"}},
		{"Patient.extension('http://x/u').value", patient, []string{""}},
		{"Patient.active.not()", patient, []string{""}},
		{"Observation.status", obs, []string{"Observation.status"}},
		{"Observation.component.code", obs, []string{"Observation.component.code", "Observation.component.code"}},
		{"(Observation.value as CodeableConcept).text", obs, []string{""}}, // past a choice
		{"Observation.contained.status", obs, []string{"Specimen.status"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			n, err := parsePath(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			doc := decodeJSON(t, []byte(tt.doc))
			rt := doc["resourceType"].(string)
			var got []string
			for _, it := range n.eval([]item{{v: doc, typ: rt, path: rt}}) {
				got = append(got, it.path)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("paths %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPathDeceased evaluates the R4 Patient.deceased expression, the one
// with three-valued logic.
func TestPathDeceased(t *testing.T) {
	n, err := parsePath("Patient.deceased.exists() and Patient.deceased != false")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		doc  string
		want bool
	}{
		{`{"resourceType":"Patient"}`, false},
		{`{"resourceType":"Patient","deceasedBoolean":false}`, false},
		{`{"resourceType":"Patient","deceasedBoolean":true}`, true},
		{`{"resourceType":"Patient","deceasedDateTime":"2020-01-01"}`, true},
	}
	for _, tt := range tests {
		got := n.eval([]item{{v: decodeJSON(t, []byte(tt.doc)), typ: "Patient"}})
		if len(got) != 1 || got[0].v != tt.want {
			t.Errorf("%s: got %v, want %v", tt.doc, got, tt.want)
		}
	}
}

// TestPathUnsupported: constructs outside the subset are compile errors
// that name the construct.
func TestPathUnsupported(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"Patient.name[0]", "indexer"},
		{"Patient.name.substring(1)", "function substring()"},
		{"Patient.name.exists(given)", "exists() with arguments"},
		{"Patient.link.other.resolve().name", "resolve()"},
		{"Patient.link.other.resolve()", "resolve()"},
		{"Patient.name.family + 'x'", `operator "+"`},
		{"Patient.birthDate > '2000'", `operator ">"`},
		{"Patient.active xor Patient.deceased", `operator "xor"`},
		{"Patient.active implies Patient.deceased", `operator "implies"`},
		{"%resource.id", "environment variable"},
		{"Patient.name.Family", `type name "Family"`},
		{"Patient.name.extension(url)", "string literal"},
		{"Patient.birthDate = @2000", "unexpected character"},
		{"Patient.name.where(", "unexpected end"},
		{"Patient.name.where(use = 'x'", `expected ")"`},
		{"'abc", "unterminated"},
		{"$index", "$index"},
		{"Patient.name.family Patient", `unexpected "Patient"`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := parsePath(tt.expr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// TestCompileParamNamesParameter: the registry's errors name the parameter,
// its expression and the construct.
func TestCompileParamNamesParameter(t *testing.T) {
	tests := []struct {
		def  fhir.SearchParam
		want string
	}{
		{fhir.SearchParam{Code: "x", Type: fhir.ParamString, Expression: "Patient.name.substring(1)"}, `expression "Patient.name.substring(1)": unsupported construct: function substring()`},
		{fhir.SearchParam{Code: "x", Type: fhir.ParamSpecial, Expression: "Patient.name"}, "special parameters"},
		{fhir.SearchParam{Code: "x", Type: fhir.ParamString}, "no FHIRPath expression"},
		{fhir.SearchParam{Code: "x", Type: "weird", Expression: "Patient.name"}, `parameter type "weird"`},
	}
	for _, tt := range tests {
		def := tt.def
		_, err := compileParam("Patient", &def)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want it to contain %q", tt.def, err, tt.want)
		}
	}
}

// TestRegistryParams lists parameters sorted by code and finds them by code.
func TestRegistryParams(t *testing.T) {
	r := registry(t)
	params := r.Params("Patient")
	codes := make([]string, len(params))
	for i, p := range params {
		codes[i] = p.Code
	}
	if !slices.IsSorted(codes) || !slices.Contains(codes, "birthdate") || slices.Contains(codes, "_text") {
		t.Errorf("Params(Patient) = %v", codes)
	}
	if p, ok := r.Param("Observation", "subject"); !ok || p.Type != fhir.ParamReference || !slices.Contains(p.Target, "Patient") {
		t.Errorf("Param(Observation, subject) = %+v, %v", p, ok)
	}
	if _, ok := r.Param("Observation", "birthdate"); ok {
		t.Error("Param(Observation, birthdate) found")
	}
	if r.Params("Practitioner") != nil {
		t.Error("Params of a type not served")
	}
	if _, errs := NewRegistry([]string{"Practitioner"}); len(errs) != 1 {
		t.Errorf("NewRegistry(Practitioner) errors = %v, want one", errs)
	}
}

package search

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/clinic/ehr/fhir"
)

// TestExtractEdges checks the less common shapes on small inline resources.
func TestExtractEdges(t *testing.T) {
	tests := []struct {
		name, doc, param string
		want             []string
	}{
		{"code-value-concept", `{"resourceType":"Observation","code":{"coding":[{"system":"http://loinc.org","code":"94500-6"}]},
			"valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"260373001"},{"system":"http://snomed.info/sct","code":"10828004"}],"text":"Detected"}}`,
			"code-value-concept", []string{
				"code-value-concept s=http://loinc.org c=94500-6 u=260373001 us=http://snomed.info/sct",
				"code-value-concept s=http://loinc.org c=94500-6 u=10828004 us=http://snomed.info/sct",
			}},
		{"code-value-string", `{"resourceType":"Observation","code":{"coding":[{"system":"http://loinc.org","code":"5778-6"}]},"valueString":"Dark Yellow"}`,
			"code-value-string", []string{"code-value-string s=http://loinc.org c=5778-6 t=dark yellow"}},
		{"value-string from a concept's text", `{"resourceType":"Observation","valueCodeableConcept":{"text":"Négatif"}}`,
			"value-string", []string{"value-string c=negatif t=Négatif"}},
		{"code-value-date", `{"resourceType":"Observation","code":{"coding":[{"code":"8665-2"}]},"valuePeriod":{"start":"2024-01-01","end":"2024-01-05"}}`,
			"code-value-date", []string{"code-value-date c=8665-2 lo=2024-01-01T00:00:00.000Z hi=2024-01-05T23:59:59.999Z"}},
		{"value-date", `{"resourceType":"Observation","valueDateTime":"2024-01"}`,
			"value-date", []string{"value-date lo=2024-01-01T00:00:00.000Z hi=2024-01-31T23:59:59.999Z"}},
		{"combo-code-value-concept on components", `{"resourceType":"Observation","component":[
			{"code":{"coding":[{"code":"a"}]},"valueCodeableConcept":{"coding":[{"code":"x"}]}},
			{"code":{"coding":[{"code":"b"}]},"valueQuantity":{"value":1}}]}`,
			"combo-code-value-concept", []string{"combo-code-value-concept c=a u=x"}},
		{"quantity comparator opens the range", `{"resourceType":"Observation","valueQuantity":{"value":5,"comparator":"<","system":"http://unitsofmeasure.org","code":"mmol/L"}}`,
			"value-quantity", []string{"value-quantity lo=-1.7976931348623157e+308 hi=5.5 u=mmol/L us=http://unitsofmeasure.org clo=-1.7976931348623157e+308 chi=5.5 cu=m-3.mol"}},
		{"quantity unit without code, other system", `{"resourceType":"Observation","valueQuantity":{"value":2,"unit":"tablets"}}`,
			"value-quantity", []string{"value-quantity lo=1.5 hi=2.5 u=tablets"}},
		{"temperature is affine", `{"resourceType":"Observation","valueQuantity":{"value":37.0,"system":"http://unitsofmeasure.org","code":"Cel"}}`,
			"value-quantity", []string{"value-quantity lo=36.95 hi=37.05 u=Cel us=http://unitsofmeasure.org clo=310.09999999999997 chi=310.2 cu=K"}},
		{"sampled data has no value", `{"resourceType":"Observation","valueSampledData":{"origin":{"value":0},"period":1,"dimensions":1,"data":"1 2"}}`,
			"value-quantity", nil},
		{"reference outside the targets", `{"resourceType":"Observation","subject":{"reference":"Practitioner/1"}}`, "subject", nil},
		{"contained reference", `{"resourceType":"Observation","subject":{"reference":"#p"}}`, "subject", nil},
		{"urn reference", `{"resourceType":"Observation","subject":{"reference":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"}}`,
			"subject", []string{"subject c=urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"}},
		{"versioned reference", `{"resourceType":"Observation","subject":{"reference":"Patient/p1/_history/3"}}`, "subject", []string{"subject s=Patient c=p1"}},
		{"identifier-only reference of the wrong type", `{"resourceType":"Observation","subject":{"type":"Practitioner","identifier":{"value":"x"}}}`,
			"subject:identifier", nil},
		{"patient filter drops groups", `{"resourceType":"Observation","subject":{"reference":"Group/g1"}}`, "patient", nil},
		{"timing events", `{"resourceType":"Observation","effectiveTiming":{"event":["2024-01-01","2024-02-01T10:00:00Z"]}}`,
			"date", []string{"date lo=2024-01-01T00:00:00.000Z hi=2024-01-01T23:59:59.999Z", "date lo=2024-02-01T10:00:00.000Z hi=2024-02-01T10:00:00.999Z"}},
		{"period without start", `{"resourceType":"Observation","effectivePeriod":{"end":"2024-01-01"}}`,
			"date", []string{"date lo=0001-01-01T00:00:00.000Z hi=2024-01-01T23:59:59.999Z"}},
		{"instant with a zone", `{"resourceType":"Observation","effectiveInstant":"2024-01-01T00:30:00.25+01:00"}`,
			"date", []string{"date lo=2023-12-31T23:30:00.250Z hi=2023-12-31T23:30:00.259Z"}},
		{"duplicates collapse", `{"resourceType":"Observation","category":[{"coding":[{"system":"s","code":"c"}]},{"coding":[{"system":"s","code":"c"}]}]}`,
			"category", []string{"category s=s c=c"}},
		{"no deceased element", `{"resourceType":"Patient"}`, "deceased", []string{"deceased c=false"}},
		{"name as text only", `{"resourceType":"Patient","name":[{"text":"Dr Zoë Müller"}]}`, "name", []string{"name c=dr zoe muller t=Dr Zoë Müller"}},
		{"blank strings are no value", `{"resourceType":"Patient","name":[{"family":" ","given":[""]}]}`, "name", nil},
	}
	r := registry(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := decodeJSON(t, []byte(tt.doc))
			typ := doc["resourceType"].(string)
			entries, _, err := r.Extract(typ, doc)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, line := range formatEntries(r, typ, entries) {
				if p, _, _ := strings.Cut(line, " "); p == tt.param {
					got = append(got, line)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("entries:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestNumberParam exercises the number type, which none of the six types
// uses in R4, on a parameter of its own.
func TestNumberParam(t *testing.T) {
	p, err := compileParam("RiskAssessment", &fhir.SearchParam{
		Code: "probability", Type: fhir.ParamNumber, Expression: "RiskAssessment.prediction.probability",
	})
	if err != nil {
		t.Fatal(err)
	}
	doc := decodeJSON(t, []byte(`{"resourceType":"RiskAssessment","prediction":[{"probabilityDecimal":0.250},{"probabilityDecimal":1e-2}]}`))
	entries, err := p.kind.index(p, p.path.eval([]item{{v: doc, typ: "RiskAssessment"}}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"probability lo=0.2495 hi=0.2505", "probability lo=0.005 hi=0.015"}
	if got := formatEntries(&Registry{}, "", entries); !slices.Equal(got, want) {
		t.Errorf("entries %q, want %q", got, want)
	}
	if v, _ := p.kind.sortValue(entries[0]); v != 0.2495 {
		t.Errorf("sort value %v", v)
	}
	queries := []struct{ value, want string }{
		{"100", `(match probability (ge lo 99.5) (le hi 100.5))`},
		{"100.00", `(match probability (ge lo 99.995) (le hi 100.005))`},
		{"1e2", `(match probability (ge lo 50) (le hi 150))`},
		{"gt100", `(match probability (gt hi 100))`},
		{"ge0.5", `(match probability (ge hi 0.5))`},
		{"lt-3", `(match probability (lt lo -3))`},
		{"le3", `(match probability (le lo 3))`},
		{"sa3", `(match probability (gt lo 3))`},
		{"eb3", `(match probability (lt hi 3))`},
		{"ne100", `(and (missing probability false) (not (match probability (ge lo 99.5) (le hi 100.5))))`},
		{"ap80", `(match probability (le lo 88) (ge hi 72))`},
	}
	for _, q := range queries {
		e, err := p.kind.query(p, "", q.value)
		if err != nil {
			t.Errorf("%s: %v", q.value, err)
			continue
		}
		if got := e.String(); got != q.want {
			t.Errorf("%s: got %s, want %s", q.value, got, q.want)
		}
	}
	for _, bad := range []string{"1,5", "x1", "", "gt", "1e"} {
		if _, err := p.kind.query(p, "", bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestEntryJSON: the open ends of ranges stay finite, so entries encode.
func TestEntryJSON(t *testing.T) {
	doc := decodeJSON(t, []byte(`{"resourceType":"Observation","effectivePeriod":{"start":"2024-01-01"},
		"valueQuantity":{"value":1,"comparator":">=","system":"http://unitsofmeasure.org","code":"g"}}`))
	entries, sortValues, err := registry(t).Extract("Observation", doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(entries); err != nil {
		t.Error(err)
	}
	if _, err := json.Marshal(sortValues); err != nil {
		t.Error(err)
	}
}

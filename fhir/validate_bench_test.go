package fhir

import "testing"

func benchmarkValidate(b *testing.B, resourceType, example string) {
	benchmarkValidateJSON(b, resourceType, readExample(b, example))
}

func benchmarkValidateJSON(b *testing.B, resourceType string, data []byte) {
	doc := decode(b, data)
	if err := Warm(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if issues := Validate(resourceType, doc); len(issues) > 0 {
			b.Fatalf("refused: %+v", issues)
		}
	}
}

func BenchmarkValidatePatient(b *testing.B) {
	benchmarkValidate(b, "Patient", "patient.json")
}

// A minimal Patient, for comparison with the full example: the cost grows
// with the number of values in the resource.
func BenchmarkValidatePatientMinimal(b *testing.B) {
	benchmarkValidateJSON(b, "Patient", []byte(`{"resourceType":"Patient","id":"p1",
		"name":[{"family":"Garcia","given":["Maria"]}],"gender":"female","birthDate":"1984-07-12"}`))
}

func BenchmarkValidateBloodPressure(b *testing.B) {
	benchmarkValidate(b, "Observation", "observation-blood-pressure.json")
}

func BenchmarkCompileSchema(b *testing.B) {
	data, err := readData(schemaFile)
	if err != nil {
		b.Fatal(err)
	}
	types, err := typeNames()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := compileSchemas(data, types); err != nil {
			b.Fatal(err)
		}
	}
}

package search

import (
	"net/url"
	"testing"
)

// BenchmarkExtract indexes one realistic resource of each type.
func BenchmarkExtract(b *testing.B) {
	r := registry(b)
	for _, file := range []string{
		"patient.json", "observation-bp.json", "observation-glucose.json", "specimen.json",
		"medadmin-rxnorm.json", "appointment.json", "auditevent.json",
	} {
		doc := loadResource(b, file)
		typ := doc["resourceType"].(string)
		b.Run(typ+"/"+file, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := r.Extract(typ, doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParse compiles a typical query with a chain and a composite.
func BenchmarkParse(b *testing.B) {
	r := registry(b)
	params, _ := url.ParseQuery("patient.name=zoe&code-value-quantity=http://loinc.org|29463-7$gt150|http://unitsofmeasure.org|[lb_av]&date=ge2024-01-01&_sort=-date&_count=50")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Parse("Observation", params, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewRegistry is the start-up cost of compiling every parameter.
func BenchmarkNewRegistry(b *testing.B) {
	types := servedTypes()
	registry(b) // the fhir package's own loading is not ours to measure
	b.ReportAllocs()
	for b.Loop() {
		NewRegistry(types)
	}
}

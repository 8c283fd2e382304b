package seed

import (
	"context"
	"testing"
)

// discard counts what would be written.
type discard struct{ resources int }

func (d *discard) WritePatient(e *Encoded) error { d.resources += len(e.Resources); return nil }
func (d *discard) Close() error                  { return nil }

func BenchmarkGenerate1000(b *testing.B) {
	total := 0
	for b.Loop() {
		d := &discard{}
		if _, err := Generate(context.Background(), Config{Patients: 1000, Seed: 1}, Options{}, d); err != nil {
			b.Fatal(err)
		}
		total += d.resources
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "resources/s")
}

func BenchmarkGenerate1000NDJSON(b *testing.B) {
	total := 0
	for b.Loop() {
		dir := b.TempDir()
		w, err := NewNDJSONWriter(dir)
		if err != nil {
			b.Fatal(err)
		}
		st, err := Generate(context.Background(), Config{Patients: 1000, Seed: 1}, Options{}, w)
		if err != nil {
			b.Fatal(err)
		}
		total += st.Total()
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "resources/s")
}

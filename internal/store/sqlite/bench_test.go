package sqlite

import (
	"fmt"
	"testing"

	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
	"github.com/clinic/ehr/internal/store/storetest"
)

// BenchmarkCommitGroup measures one Commit of n units, each creating one
// indexed resource: group commit pays one durable sync for all n.
func BenchmarkCommitGroup(b *testing.B) {
	for _, n := range []int{1, 32} {
		b.Run(fmt.Sprintf("units=%d", n), func(b *testing.B) {
			s := openTest(b)
			seq := 0
			b.ResetTimer()
			for b.Loop() {
				units := make([]func(store.Tx) error, n)
				for i := range units {
					w := patient(seq)
					seq++
					units[i] = func(tx store.Tx) error { return tx.Put(w) }
				}
				results, err := s.Commit(b.Context(), units, func(store.Tx, []error) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
				for _, err := range results {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/unit")
		})
	}
}

func BenchmarkRead(b *testing.B) {
	s := openTest(b)
	seedClinic(b, s, 200)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := s.Read(b.Context(), "Patient", fmt.Sprintf("pat-%05d", i%200)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkSearchToken(b *testing.B) {
	s := openTest(b)
	seedClinic(b, s, 1000)
	q := &store.Query{Type: "Observation", Count: 20, Where: search.Match{Param: "code", Conds: []search.Cond{
		{Field: search.FieldSystem, Op: search.OpEq, Value: "http://loinc.org"},
		{Field: search.FieldCode, Op: search.OpEq, Value: "8867-4"},
	}}}
	b.ResetTimer()
	for b.Loop() {
		res, err := s.Search(b.Context(), q)
		if err != nil || len(res.Resources) != 20 {
			b.Fatalf("search: %d resources, %v", len(res.Resources), err)
		}
	}
}

func patient(i int) store.Write {
	lo, hi := storetest.Day(1950+i%60, 1+i%12, 1+i%28)
	w := storetest.Version("Patient", fmt.Sprintf("bench-%07d", i), 1,
		storetest.Str("family", fmt.Sprintf("family%d", i%1000)), storetest.Str("given", "given"),
		storetest.Token("gender", "http://hl7.org/fhir/administrative-gender", "female"),
		storetest.Range("birthdate", lo, hi), storetest.Token("identifier", "urn:mrn", fmt.Sprint(i)))
	w.Sort = map[string]any{"family": fmt.Sprintf("family%d", i%1000), "birthdate": lo}
	return w
}

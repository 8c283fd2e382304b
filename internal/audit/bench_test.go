package audit

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store/sqlite"
)

// BenchmarkRecordParallel measures audited requests per second when many
// requests arrive at once (16 goroutines per CPU, like a busy HTTP server),
// and how many share each group commit; with the search index entries the
// server stores (indexed) and without.
func BenchmarkRecordParallel(b *testing.B) {
	reg := serverRegistry()
	for _, indexed := range []bool{true, false} {
		for _, sync := range []string{"FULL", "NORMAL"} {
			name := "synchronous=" + sync
			if indexed {
				name += "/indexed"
			}
			b.Run(name, func(b *testing.B) {
				st, err := sqlite.Open(filepath.Join(b.TempDir(), "ehr.db"), sqlite.Options{Synchronous: sync})
				if err != nil {
					b.Fatal(err)
				}
				defer st.Close()
				opts := Options{}
				if indexed {
					opts.Index = reg.Extract
				}
				r := startRecorder(b, st, opts)
				ev := readEvent(0)
				ev.Agent.Address, ev.Agent.JTI, ev.Agent.ClientID = "10.0.0.7", "jti-1", "front-desk"
				b.SetParallelism(16)
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := r.Record(context.Background(), ev); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.StopTimer()
				s := r.Stats()
				b.ReportMetric(float64(s.Events)/float64(max(s.Commits, 1)), "events/commit")
				b.ReportMetric(float64(s.Commits)/b.Elapsed().Seconds(), "commits/s")
				b.ReportMetric(float64(s.Events)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

// BenchmarkProjection measures how fast the sequencer writes the AuditEvent
// resources of records already in the log (projection.go): the catch-up
// after a burst. One op is one record.
func BenchmarkProjection(b *testing.B) {
	reg := serverRegistry()
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "ehr.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	r := startRecorder(b, st, Options{Index: reg.Extract, MaxProjectionLag: 1 << 40})
	ev := readEvent(0)
	ev.Agent.Address, ev.Agent.JTI, ev.Agent.ClientID = "10.0.0.7", "jti-1", "front-desk"
	events := make([]Event, 100)
	for i := range events {
		events[i] = ev
	}
	for n := 0; n < b.N; n += len(events) {
		if err := r.Record(context.Background(), events[:min(len(events), b.N-n)]...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	if err := r.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// serverRegistry is the search registry of every served type, with the
// AuditEvent parameters the server indexes.
func serverRegistry() *search.Registry {
	var types []string
	for _, ti := range fhir.Types() {
		types = append(types, ti.Name)
	}
	reg, _ := search.NewRegistry(types)
	RestrictSearch(reg)
	return reg
}

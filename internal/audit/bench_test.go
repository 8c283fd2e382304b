package audit

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/clinic/ehr/internal/store/sqlite"
)

// BenchmarkRecordParallel measures audited requests per second when many
// requests arrive at once (16 goroutines per CPU, like a busy HTTP server),
// and how many share each group commit.
func BenchmarkRecordParallel(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run("synchronous="+sync, func(b *testing.B) {
			st, err := sqlite.Open(filepath.Join(b.TempDir(), "ehr.db"), sqlite.Options{Synchronous: sync})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			r := startRecorder(b, st, Options{})
			ev := readEvent(0)
			b.SetParallelism(16)
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
		})
	}
}

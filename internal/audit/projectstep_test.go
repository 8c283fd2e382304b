package audit

import (
	"context"
	"testing"
)

// ProjectRange writes one range of the log's AuditEvents: in order, as the
// recorder's steps do, they leave a projected prefix that Verify accepts;
// ranges that are not ranges, or reach past the log, fail.
func TestProjectRange(t *testing.T) {
	const records = ProjectChunk + 7
	tests := []struct {
		name      string
		ranges    [][2]int64 // projected in turn, after everything from 3 on was unprojected
		wantErr   bool
		projected int64 // the prefix projected afterwards
	}{
		{name: "chunks in log order", ranges: [][2]int64{{3, 3 + ProjectChunk}, {3 + ProjectChunk, records}}, projected: records},
		{name: "one record", ranges: [][2]int64{{3, 4}}, projected: 4},
		{name: "empty range", ranges: [][2]int64{{3, 3}}, projected: 3},
		{name: "already projected", ranges: [][2]int64{{0, 5}}, projected: 5},
		{name: "backwards", ranges: [][2]int64{{5, 4}}, wantErr: true, projected: 3},
		{name: "negative", ranges: [][2]int64{{-1, 4}}, wantErr: true, projected: 3},
		{name: "past the log", ranges: [][2]int64{{3, records + 1}}, wantErr: true, projected: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			reg := auditRegistry(t)
			r := startRecorder(t, st, Options{}) // unindexed: every case projects again from 3
			record(t, r, records)
			if err := r.Close(ctx); err != nil {
				t.Fatal(err)
			}
			// Project the first three again, indexed: the prefix the cases start from.
			unproject(t, st, 0)
			if err := ProjectRange(ctx, st, reg.Extract, 0, 3); err != nil {
				t.Fatal(err)
			}
			var err error
			for _, rg := range tt.ranges {
				if err = ProjectRange(ctx, st, reg.Extract, rg[0], rg[1]); err != nil {
					break
				}
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("ProjectRange: %v, want error %v", err, tt.wantErr)
			}
			done, err := projectedPrefix(ctx, st, records)
			if err != nil {
				t.Fatal(err)
			}
			if done != tt.projected {
				t.Fatalf("projected prefix %d, want %d", done, tt.projected)
			}
			checkProjected(t, st, done)
			if got := patientEvents(t, st, reg, "123"); int64(got) != done {
				t.Errorf("search by patient found %d AuditEvents, want %d", got, done)
			}
			mustVerify(t, st)
		})
	}
}

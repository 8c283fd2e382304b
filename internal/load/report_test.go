package load

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleBench() *bench {
	b := &bench{cfg: BenchConfig{AuditWorkloads: []string{"read"}, Data: DefaultDataset()}, stats: map[[2]string]*Stats{},
		peak: map[[2]string]int64{}, commit: map[[2]string]*Commits{}, catchUp: map[[2]string]*CatchUp{},
		report: &Report{Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Machine: ThisMachine(), Dataset: DefaultDataset()}}
	add := func(workload, against string, n int, d time.Duration, units int, commits *Commits) {
		st := newStats()
		for range n {
			st.add(Result{Kind: workload, Status: 200, Units: units}, d)
		}
		st.Window, st.Concurrency = time.Second, 64
		b.record(side{workload: workload, against: against}, Phase{Workload: workload, Against: against, Round: 1, Summary: st.Summary(), Commits: commits}, st)
	}
	add("read", againstServer, 600, 2*time.Millisecond, 1, nil)
	add("search", againstServer, 300, time.Millisecond, 1, nil)
	b.stats[[2]string{"search", againstServer}].LateAge.Record(2 * time.Second) // under 1%: p99 holds
	b.stats[[2]string{"search", againstServer}].LateAge.Record(2 * time.Second)
	b.stats[[2]string{"search", againstServer}].LateAge.Record(2 * time.Second)
	b.stats[[2]string{"search", againstServer}].LateAge.Record(2 * time.Second) // 4 of 304: over 1%
	add("static", againstCeilingA, 1000, time.Millisecond, 0, nil)
	add("create-vitals", againstServer, 400, 30*time.Millisecond, 1, &Commits{Commits: 20, Events: 400, PerCommit: 20})
	add("create-vitals", againstCeilingB, 1000, 5*time.Millisecond, 1, &Commits{Commits: 50, PerCommit: 20})
	// Each window leaves its projection behind: 1 s for the server, 0.25 s
	// for the ceiling.
	b.catchUp[[2]string{"create-vitals", againstServer}] = &CatchUp{Slices: 1, Records: 400, Seconds: 1}
	b.catchUp[[2]string{"create-vitals", againstCeilingB}] = &CatchUp{Slices: 1, Records: 1000, Seconds: 0.25}
	b.finish()
	return b
}

func TestReportRatiosAndTargets(t *testing.T) {
	r := sampleBench().report
	if f := r.figureOf("read", againstServer); f == nil || f.Ratio != 0.6 || f.Ceiling != againstCeilingA {
		t.Fatalf("read figure %+v: want ratio 0.6 to ceiling a", f)
	}
	// 400 requests in 2 s against 1000 in 1.25 s.
	if f := r.figureOf("create-vitals", againstServer); f == nil || f.Sustained != 200 || f.SustainedRatio != 0.25 {
		t.Fatalf("create-vitals figure %+v: want 200 req/s sustained, 0.25 × ceiling b's 800", f)
	}
	verdicts := map[string]bool{}
	for _, tc := range r.Targets {
		verdicts[tc.Name] = tc.Met
	}
	want := map[string]bool{
		"read by id, 64 conns: throughput":  true,  // exactly 0.6
		"read by id: p99":                   true,  // 2 ms
		"create-vitals: throughput":         false, // 0.4
		"create-vitals: p99":                false, // 30 ms
		"create-vitals: requests per fsync": true,  // 20
		"search mix: p99":                   false, // 4 of 304 stuck for 2 s
		"search mix: throughput":            false, // 300 req/s
		"search mix: server RSS":            true,
		"every response verified":           true,
	}
	if !reflect.DeepEqual(verdicts, want) {
		t.Errorf("targets %v, want %v", verdicts, want)
	}
}

func TestReportJSONRoundTripAndTable(t *testing.T) {
	r := sampleBench().report
	path := filepath.Join(t.TempDir(), "bench.json")
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	back, err := ReadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Figures, r.Figures) || !reflect.DeepEqual(back.Targets, r.Targets) || !back.Started.Equal(r.Started) {
		t.Errorf("report changed through JSON:\n%+v\n%+v", back.Figures, r.Figures)
	}
	var buf bytes.Buffer
	if err := r.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"0.60 × ceiling-a", "0.40 × ceiling-b (sust. 0.25)", "MISSED", "create-vitals: requests per fsync", "20.0"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

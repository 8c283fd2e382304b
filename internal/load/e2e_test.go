package load

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clinic/ehr/internal/app"
	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/config"
)

const testSecret = "load-test-secret-0123456789abcdef0123456789"

// smallDataset is seeded in well under a second.
func smallDataset() Dataset {
	d := DefaultDataset()
	d.Patients, d.Observations, d.Appointments, d.Practitioners = 4, 40, 1, 2
	return d
}

// startServer runs the real server over a fresh SQLite file, as the app
// package's own end-to-end tests do, and seeds it over HTTP.
func startServer(t *testing.T, d *Dataset) *Target {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"EHR_STORE": "sqlite:" + filepath.Join(dir, "ehr.db"), "EHR_AUTH_HS256_SECRET": testSecret,
		"EHR_DATA_DIR": dir, "EHR_RATE_LIMIT": "0", "EHR_BENCH_STATIC_ROUTE": "1",
	}
	cfg, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	hs := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	tok, err := MintToken(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(hs.URL, tok, 8)
	t.Cleanup(c.Close)
	if err := SeedHTTP(context.Background(), c, d, 8, nil); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return &Target{Client: c, Data: d}
}

func TestWorkloadsAgainstTheServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	d := smallDataset()
	tg := startServer(t, &d)
	ctx := context.Background()
	if err := tg.Check(ctx); err != nil {
		t.Fatalf("every workload once: %v", err)
	}
	for _, name := range Workloads {
		t.Run(name, func(t *testing.T) {
			ops, err := tg.Workload(name)
			if err != nil {
				t.Fatal(err)
			}
			st, err := Run(ctx, RunConfig{Concurrency: 2, Requests: 12}, ops)
			if err != nil {
				t.Fatal(err)
			}
			if st.Requests() != 12 || st.Errors != 0 {
				t.Fatalf("%d requests, %d wrong: %v", st.Requests(), st.Errors, st.Summary().ErrorSample)
			}
		})
	}

	t.Run("a wrong answer is counted", func(t *testing.T) {
		// The tool believes in twice the patients there are: reads of the
		// missing half get 404 and must show as errors, by status.
		wrong := d
		wrong.Patients *= 2
		liar := &Target{Client: tg.Client, Data: &wrong}
		ops, _ := liar.Workload("read")
		st, err := Run(ctx, RunConfig{Concurrency: 2, Requests: 40}, ops)
		if err != nil {
			t.Fatal(err)
		}
		s := st.Summary()
		if st.Errors == 0 || st.Errors != s.Status["404"] || st.Throughput() >= float64(st.Requests())/st.Window.Seconds() {
			t.Fatalf("%d errors, status %v: want every 404 counted and left out of throughput", st.Errors, s.Status)
		}
		if len(s.ErrorSample) == 0 || !strings.Contains(s.ErrorSample[0], "status 404, want 200") {
			t.Errorf("error samples %q", s.ErrorSample)
		}
	})
}

func TestReplayWritesAVerifiableLog(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a store")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "replay.db")
	r, err := OpenReplay(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"create-vitals", "transaction"} {
		ops, err := r.Workload(w)
		if err != nil {
			t.Fatal(err)
		}
		st, err := Run(ctx, RunConfig{Concurrency: 8, Requests: 24}, ops)
		if err != nil {
			t.Fatal(err)
		}
		if st.Requests() != 24 || st.Errors != 0 {
			t.Fatalf("%s: %d requests, %d failed: %v", w, st.Requests(), st.Errors, st.Summary().ErrorSample)
		}
	}
	if r.MeanBatch() < 1 {
		t.Errorf("mean batch %v", r.MeanBatch())
	}
	rep, err := audit.Verify(ctx, r.st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Size == 0 {
		t.Fatalf("the replayed audit log does not verify: %+v", rep)
	}
	commits, requests := r.g.commits.Load(), r.g.requests.Load()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	cc, err := OpenCommitCounter(path)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	got, err := cc.Since(ctx, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Commits in the same millisecond merge in the count: never more than
	// the committer made, and AuditEvents are all there.
	if got.Commits < 1 || got.Commits > commits || got.Events != rep.Size {
		t.Errorf("counted %d commits and %d events; committer made %d commits of %d requests, log has %d",
			got.Commits, got.Events, commits, requests, rep.Size)
	}
}

func TestSeedStoreThenServe(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a store")
	}
	ctx := context.Background()
	d := smallDataset()
	dir := t.TempDir()
	path := filepath.Join(dir, "ehr.db")
	if err := SeedStore(ctx, path, &d, nil); err != nil {
		t.Fatal(err)
	}
	p, err := StartInProcess(ctx, path, dir, testSecret, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	tok, _ := MintToken(testSecret)
	c := NewClient(p.URL, tok, 4)
	defer c.Close()
	if err := (&Target{Client: c, Data: &d}).Check(ctx); err != nil {
		t.Error(err)
	}
}

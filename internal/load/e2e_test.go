package load

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clinic/ehr/internal/app"
	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/config"
	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
	"github.com/clinic/ehr/internal/store/sqlite"
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
	// The AuditEvents follow the log once the committer is idle, with the
	// server's index entries: searchable by patient.
	if _, _, err := waitCaughtUp(ctx, func(context.Context) (int64, error) { return r.Lag() }, time.Minute); err != nil {
		t.Fatal(err)
	}
	entries, err := r.st.LogEntries(ctx, 0, rep.Size)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		res, err := r.st.Read(ctx, "AuditEvent", e.ResourceID)
		if err != nil {
			t.Fatalf("record %d: its AuditEvent: %v", e.Seq, err)
		}
		if !bytes.Equal(res.Body, e.Body) {
			t.Fatalf("record %d: the AuditEvent is not the log's body", e.Seq)
		}
	}
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	q, err := reg.Parse("AuditEvent", url.Values{"patient": {"Patient/p-000000"}}, search.Options{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	found, err := r.st.Search(ctx, &store.Query{Type: "AuditEvent", Where: q.Where, Count: 0, Total: true})
	if err != nil {
		t.Fatal(err)
	}
	if int64(found.Total) != rep.Size {
		t.Errorf("search by patient found %d AuditEvents, log has %d", found.Total, rep.Size)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

// The ceiling's AuditEvent body is the recorder's, byte for byte, for the
// same event, id and clock: the leaf hash and the projection's work are
// the server's.
func TestAuditTemplateIsTheRecordersBytes(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "rec.db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 23, 19, 0, 0, 123e6, time.UTC)
	const id = "0123456789abcdefghijkl"
	rec, err := audit.NewRecorder(ctx, st, audit.Options{Now: func() time.Time { return now }, NewID: func() string { return id }})
	if err != nil {
		t.Fatal(err)
	}
	ev := auditEvent("create", "Observation/o-1/_history/1", "p-000000", now)
	tmpl, err := auditRow(ev, id, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Record(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(ctx); err != nil {
		t.Fatal(err)
	}
	entries, err := st.LogEntries(ctx, 0, 1)
	if err != nil || len(entries) != 1 {
		t.Fatalf("LogEntries: %v, %d entries", err, len(entries))
	}
	if !bytes.Equal(entries[0].Body, tmpl.w.Resource.Body) {
		t.Errorf("template body differs from the recorder's:\n%s\n%s", tmpl.w.Resource.Body, entries[0].Body)
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

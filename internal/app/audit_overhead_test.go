package app_test

// What auditing costs reads (docs/resilience.md): the same server, the same
// SQLite store, once with the real audit recorder and once with a no-op
// double. Issue "Performance and resilience": read throughput with auditing
// on is at least 70% of the throughput without.
//
//	go test ./internal/app -run '^$' -bench 'BenchmarkRead(NoAudit|Audited)$' -benchtime 3s
//	EHR_BENCH=1 go test ./internal/app -run TestAuditOverheadRatio -v

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/api"
	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/auth"
	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/rules"
	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
	"github.com/clinic/ehr/internal/store/sqlite"
)

// noopAuditor stands in for the audit recorder: writes still commit (one
// storage transaction per write, no group commit, no AuditEvent), reads
// record nothing.
type noopAuditor struct{ st store.Store }

func (n noopAuditor) Do(ctx context.Context, unit func(store.Tx) error, build func(unitErr error) []audit.Event) error {
	var unitErr error
	if unit != nil {
		results, err := n.st.Commit(ctx, []func(store.Tx) error{unit}, nil)
		if err != nil {
			return fmt.Errorf("%w: %w", audit.ErrUnavailable, err)
		}
		unitErr = results[0]
	}
	if build != nil {
		build(unitErr) // the handler learns its entities and patients here
	}
	return unitErr
}

func (noopAuditor) Record(context.Context, ...audit.Event) error { return nil }

func (noopAuditor) Sync(context.Context) error { return nil }

var _ api.Auditor = noopAuditor{}

// rzBench is one store served twice: audited and not.
type rzBench struct {
	audited, plain string // base URLs
	ids            []string
	tok            string
	client         *http.Client
	rec            *audit.Recorder
}

const rzBenchPatients = 200

// rzBenchSetup wires the server as internal/app does, but builds the HTTP
// layer twice over the same engine and store.
func rzBenchSetup(tb testing.TB) *rzBench {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	if err := fhir.Warm(); err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, ti := range fhir.Types() {
		names = append(names, ti.Name)
	}
	reg, _ := search.NewRegistry(names)
	st, err := sqlite.Open(filepath.Join(dir, "ehr.db"), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	verifier, err := auth.NewVerifier(ctx, auth.Config{HS256Secret: []byte(testSecret)})
	if err != nil {
		tb.Fatal(err)
	}
	signer, _, err := audit.LoadOrCreateSigner(filepath.Join(dir, "audit.key"), "bench.audit")
	if err != nil {
		tb.Fatal(err)
	}
	rec, err := audit.NewRecorder(ctx, st, audit.Options{Signer: signer, Index: reg.Extract, NewID: engine.NewID})
	if err != nil {
		tb.Fatal(err)
	}
	eng := engine.New(engine.Config{Store: st, Search: reg, Rules: rules.All()})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	serve := func(a api.Auditor) string {
		srv := api.New(api.Config{Engine: eng, Verifier: verifier, Recorder: a, Logger: log, Signer: signer})
		hs := httptest.NewServer(srv.Handler())
		tb.Cleanup(hs.Close)
		return hs.URL
	}
	b := &rzBench{audited: serve(rec), plain: serve(noopAuditor{st}), rec: rec, client: rzClient(512, 30*time.Second)}
	tb.Cleanup(func() {
		b.client.CloseIdleConnections()
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = rec.Close(cctx)
		_ = st.Close()
		verifier.Close()
	})
	b.tok, err = auth.Mint([]byte(testSecret), auth.MintClaims{Subject: "bench", Scope: "user/*.cruds", ClientID: "bench"})
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < rzBenchPatients; i++ {
		r, err := rzCall(ctx, b.client, b.audited, "POST", "/fhir/Patient", b.tok, []byte(rzPatientJSON(fmt.Sprintf("Bench%d", i%17), fmt.Sprintf("MRN-BENCH-%d", i))))
		if err != nil || r.Status != http.StatusCreated {
			tb.Fatalf("seed: %v %v", err, r)
		}
		id, _ := rzDecode(r.Body)["id"].(string)
		b.ids = append(b.ids, id)
	}
	return b
}

// read is one read of a seeded patient; it reports success.
func (b *rzBench) read(base string, i uint64) bool {
	r, err := rzCall(context.Background(), b.client, base, "GET", "/fhir/Patient/"+b.ids[i%uint64(len(b.ids))], b.tok, nil)
	return err == nil && r.Status == http.StatusOK
}

// rzNoAuditRate is the last BenchmarkReadNoAudit figure, for the ratio.
var rzNoAuditRate atomic.Uint64

func BenchmarkReadNoAudit(b *testing.B) {
	rate := rzBenchRead(b, false)
	rzNoAuditRate.Store(uint64(rate))
}

func BenchmarkReadAudited(b *testing.B) {
	rate := rzBenchRead(b, true)
	if plain := rzNoAuditRate.Load(); plain > 0 {
		b.ReportMetric(rate/float64(plain), "ratio-vs-noaudit")
	}
}

// rzBenchRead reads seeded patients from 32×GOMAXPROCS goroutines and
// reports requests per second.
func rzBenchRead(b *testing.B, audited bool) float64 {
	env := rzBenchSetup(b)
	base := env.plain
	if audited {
		base = env.audited
	}
	var seq, failed atomic.Uint64
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if !env.read(base, seq.Add(1)) {
				failed.Add(1)
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d reads failed", n, b.N)
	}
	rate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "req/s")
	if audited {
		s := env.rec.Stats()
		b.ReportMetric(s.MeanBatch, "reqs/commit")
	}
	return rate
}

// TestAuditOverheadRatio measures both variants in turns (audited, plain,
// audited, plain …) over the same store and asserts the bound. It
// needs a quiet machine, so it runs only with EHR_BENCH=1.
func TestAuditOverheadRatio(t *testing.T) {
	if os.Getenv("EHR_BENCH") != "1" {
		t.Skip("set EHR_BENCH=1 to measure the audit overhead")
	}
	env := rzBenchSetup(t)
	const rounds, each, workers = 4, 1500 * time.Millisecond, 64
	measure := func(base string, d time.Duration) (n int, took time.Duration, lat []time.Duration) {
		var seq atomic.Uint64
		var count, failed atomic.Int64
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := time.Now()
		stop := start.Add(d)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var local []time.Duration
				for time.Now().Before(stop) {
					t0 := time.Now()
					if env.read(base, seq.Add(1)) {
						count.Add(1)
						local = append(local, time.Since(t0))
					} else {
						failed.Add(1)
					}
				}
				mu.Lock()
				lat = append(lat, local...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		if f := failed.Load(); f > 0 {
			t.Fatalf("%d reads failed", f)
		}
		return int(count.Load()), time.Since(start), lat
	}
	measure(env.audited, 500*time.Millisecond) // warm both paths and caches
	measure(env.plain, 500*time.Millisecond)

	// The AuditEvent resources are written after the responses
	// (internal/audit/projection.go). Each audited round ends with a Sync, so
	// that their cost is paid inside the audited time rather than during
	// the next no-op round: the "sustained" rate. The "burst" rate leaves it
	// out: what clients see in bursts shorter than the projection's lag bound.
	catchUp := func() time.Duration {
		start := time.Now()
		if err := env.rec.Sync(context.Background()); err != nil {
			t.Fatalf("Sync: %v", err)
		}
		return time.Since(start)
	}
	catchUp()
	var nA, nP int
	var tA, tP, tSync time.Duration
	var latA, latP []time.Duration
	before := env.rec.Stats()
	for r := 0; r < rounds; r++ {
		n, d, l := measure(env.audited, each)
		s := catchUp()
		nA, tA, tSync, latA = nA+n, tA+d, tSync+s, append(latA, l...)
		t.Logf("round %d audited: %.0f req/s burst, %.0f sustained (catch-up %v)", r, float64(n)/d.Seconds(), float64(n)/(d+s).Seconds(), s.Round(time.Millisecond))
		n, d, l = measure(env.plain, each)
		nP, tP, latP = nP+n, tP+d, append(latP, l...)
		t.Logf("round %d no-op:   %.0f req/s", r, float64(n)/d.Seconds())
	}
	after := env.rec.Stats()
	burst, rateA, rateP := float64(nA)/tA.Seconds(), float64(nA)/(tA+tSync).Seconds(), float64(nP)/tP.Seconds()
	ratio := rateA / rateP
	pct := func(l []time.Duration, p int) time.Duration {
		slices.Sort(l)
		return l[min(len(l)-1, len(l)*p/100)]
	}
	batch := float64(after.Requests-before.Requests) / float64(max(1, after.Commits-before.Commits))
	t.Logf("audited %.0f req/s sustained, %.0f burst (p50 %v, p99 %v, %.1f requests per group commit); no-op %.0f req/s (p50 %v, p99 %v); ratio %.2f sustained, %.2f burst",
		rateA, burst, pct(latA, 50), pct(latA, 99), batch, rateP, pct(latP, 50), pct(latP, 99), ratio, burst/rateP)
	if ratio < 0.70 {
		t.Errorf("read throughput with auditing is %.0f%% of the no-op recorder's, want at least 70%%", 100*ratio)
	}
}

package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clinic/ehr/internal/app"
	"github.com/clinic/ehr/internal/config"
	"github.com/clinic/ehr/internal/importer"
	"github.com/clinic/ehr/internal/seed"
)

// seedClinic writes a synthetic clinic to a fresh directory.
func seedClinic(tb testing.TB, cfg seed.Config, format string) string {
	tb.Helper()
	dir := tb.TempDir()
	var w seed.Writer = seed.NewBundleWriter(dir)
	if format == "ndjson" {
		nw, err := seed.NewNDJSONWriter(dir)
		if err != nil {
			tb.Fatal(err)
		}
		w = nw
	}
	if _, err := seed.Generate(context.Background(), cfg, seed.Options{}, w); err != nil {
		tb.Fatalf("seed: %v", err)
	}
	return dir
}

// seededIDs lists the ids in each NDJSON file of dir, by type.
func seededIDs(t *testing.T, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, typ := range seed.Types {
		for _, line := range ndjsonLines(t, filepath.Join(dir, typ+".ndjson")) {
			var h struct{ ID string }
			if err := json.Unmarshal([]byte(line), &h); err != nil {
				t.Fatal(err)
			}
			out[typ] = append(out[typ], h.ID)
		}
	}
	return out
}

func ndjsonLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// importOptions imports as a system client, in batches under the test
// server's 64 KiB body limit.
func importOptions(t testing.TB, base, state string) importer.Options {
	t.Helper()
	tokens, err := importer.NewSecretToken([]byte(testSecret), "importer", importer.ImportScope)
	if err != nil {
		t.Fatal(err)
	}
	return importer.Options{Server: base, Tokens: tokens, Concurrency: 4, BatchSize: 200, MaxBytes: 60 << 10, StatePath: state}
}

func runImport(t *testing.T, ctx context.Context, dir string, opts importer.Options) *importer.Result {
	t.Helper()
	res, err := importer.Run(ctx, []string{dir}, opts)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	for _, f := range res.Failures {
		t.Errorf("refused: %s:%d %s: %d %s", filepath.Base(f.File), f.Item, f.Ref, f.Status, f.Message)
	}
	return res
}

// versions reads the current versionId of every resource of typ.
func versions(t *testing.T, s *server, tok, typ string) map[string]string {
	t.Helper()
	out := map[string]string{}
	next := "/fhir/" + typ + "?_count=1000&_elements=id"
	for next != "" {
		r := must(t, s.do("GET", next, tok, nil), 200)
		for _, e := range entries(t, r) {
			res, _ := e["resource"].(map[string]any)
			meta, _ := res["meta"].(map[string]any)
			out[res["id"].(string)], _ = meta["versionId"].(string)
		}
		next = ""
		if l := link(t, r, "next"); l != "" {
			u, err := url.Parse(l)
			if err != nil {
				t.Fatal(err)
			}
			next = u.RequestURI()
		}
	}
	return out
}

// total counts resources of typ by search.
func total(t *testing.T, s *server, tok, typ string) int {
	t.Helper()
	b := must(t, s.do("GET", "/fhir/"+typ+"?_total=accurate&_count=0", tok, nil), 200).json(t)
	n, ok := b["total"].(float64)
	if !ok {
		t.Fatalf("%s search without a total: %v", typ, b)
	}
	return int(n)
}

// checkStored asserts that the server holds exactly the seeded resources,
// and returns their versions by Type/id.
func checkStored(t *testing.T, s *server, want map[string][]string) map[string]string {
	t.Helper()
	tok := token(t, "user/*.cruds", "")
	all := map[string]string{}
	for _, typ := range seed.Types {
		if got := total(t, s, tok, typ); got != len(want[typ]) {
			t.Errorf("%s: %d stored, %d seeded", typ, got, len(want[typ]))
		}
		vs := versions(t, s, tok, typ)
		for _, id := range want[typ] {
			if vs[id] == "" {
				t.Errorf("%s/%s missing", typ, id)
			}
			all[typ+"/"+id] = vs[id]
		}
	}
	return all
}

func TestImportSeededClinic(t *testing.T) {
	s := newServer(t, "sqlite:"+filepath.Join(t.TempDir(), "ehr.db"))
	dir := seedClinic(t, seed.Config{Patients: 20, Seed: 11}, "ndjson")
	want := seededIDs(t, dir)
	base := s.URL + "/fhir"
	state := filepath.Join(t.TempDir(), "import-state")

	res := runImport(t, t.Context(), dir, importOptions(t, base, state))
	n := 0
	for _, ids := range want {
		n += len(ids)
	}
	if res.Created != n || res.Failed != 0 {
		t.Fatalf("import of %d resources: %+v", n, res)
	}
	for ref, v := range checkStored(t, s, want) {
		if v != "1" {
			t.Errorf("%s at version %s after one import", ref, v)
		}
	}

	// Importing a completed import again changes nothing: with the state
	// file nothing is sent; without it, every resource is compared first.
	res = runImport(t, t.Context(), dir, importOptions(t, base, state))
	if res.Skipped != n || res.Sent() != 0 {
		t.Errorf("re-import with the state file: %+v", res)
	}
	opts := importOptions(t, base, "")
	opts.SkipUnchanged = true
	res = runImport(t, t.Context(), dir, opts)
	if res.Unchanged != n || res.Created+res.Updated != 0 {
		t.Errorf("re-import without the state file: %+v", res)
	}
	for ref, v := range checkStored(t, s, want) {
		if v != "1" {
			t.Errorf("%s at version %s after re-imports", ref, v)
		}
	}
}

// stopAt interrupts the import once n resources are through.
type stopAt struct {
	n    int64
	done atomic.Int64
	once sync.Once
	stop func()
}

func (c *stopAt) SetTotal(int64) {}
func (c *stopAt) Add(n int) {
	if c.done.Add(int64(n)) >= c.n {
		c.once.Do(c.stop)
	}
}

// An import stopped half-way and resumed with the same state file stores
// every resource once. Batches finished before the stop are not sent again;
// batches in flight at a hard stop are compared first, and may gain one
// identical version only if the server was still writing them then.
func TestImportResumesAfterInterruption(t *testing.T) {
	for _, graceful := range []bool{false, true} {
		name := map[bool]string{false: "cancelled", true: "drained"}[graceful]
		t.Run(name, func(t *testing.T) {
			s := newServer(t, "sqlite:"+filepath.Join(t.TempDir(), "ehr.db"))
			dir := seedClinic(t, seed.Config{Patients: 20, Seed: 12}, "ndjson")
			want := seededIDs(t, dir)
			n := 0
			for _, ids := range want {
				n += len(ids)
			}
			base := s.URL + "/fhir"
			state := filepath.Join(t.TempDir(), "import-state")

			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			drain := make(chan struct{})
			opts := importOptions(t, base, state)
			opts.BatchSize = 50
			opts.Drain = drain
			stop := &stopAt{n: int64(n / 2), stop: cancel}
			if graceful {
				stop.stop = func() { close(drain) }
			}
			opts.Progress = stop
			first, err := importer.Run(ctx, []string{dir}, opts)
			if err == nil || first.Created >= n {
				t.Fatalf("the interrupted import finished: %v %+v", err, first)
			}
			completed := completedRefs(t, state)
			t.Logf("stopped after %d of %d resources; %d in completed batches", first.Created, n, len(completed))
			if graceful && len(completed) != first.Created {
				t.Errorf("a graceful stop left %d of %d sent resources unjournaled", first.Created-len(completed), first.Created)
			}

			res := runImport(t, t.Context(), dir, importOptions(t, base, state))
			if res.Skipped != len(completed) || res.Failed != 0 {
				t.Errorf("resume: %+v", res)
			}
			stored := checkStored(t, s, want)
			extra := 0
			for ref, v := range stored {
				switch {
				case v == "1":
				case completed[ref] || graceful:
					t.Errorf("%s is at version %s", ref, v)
				case v == "2":
					extra++ // in flight at the stop and written by the server after the comparison
				default:
					t.Errorf("%s at version %s", ref, v)
				}
			}
			t.Logf("%d resources with one extra version", extra)

			// A completed import imported again changes nothing.
			res = runImport(t, t.Context(), dir, importOptions(t, base, state))
			if res.Skipped != n || res.Sent() != 0 {
				t.Errorf("re-import: %+v", res)
			}
			for ref, v := range checkStored(t, s, want) {
				if v != stored[ref] {
					t.Errorf("%s moved from version %s to %s", ref, stored[ref], v)
				}
			}
		})
	}
}

// completedRefs reads the state file's done records into the Type/id of
// the resources they cover (their NDJSON lines).
func completedRefs(t *testing.T, state string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, line := range ndjsonLines(t, state) {
		var r struct {
			Event, File string
			From, To    int
			Failed      []int
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		if r.Event != "done" {
			continue
		}
		lines := ndjsonLines(t, r.File)
		for i := r.From; i < r.To && i < len(lines); i++ {
			var h struct{ ResourceType, ID string }
			if err := json.Unmarshal([]byte(lines[i]), &h); err != nil {
				t.Fatal(err)
			}
			out[h.ResourceType+"/"+h.ID] = true
		}
	}
	return out
}

// Transaction Bundles, one per patient, as `ehrctl seed` writes by default.
// A short calendar keeps each Bundle under the test server's 64 KiB limit.
func TestImportSeededBundles(t *testing.T) {
	s := newServer(t, "sqlite:"+filepath.Join(t.TempDir(), "ehr.db"))
	cfg := seed.Config{Patients: 10, Seed: 13, Weeks: 8}
	dir := seedClinic(t, cfg, "bundle")
	want := seededIDs(t, seedClinic(t, cfg, "ndjson"))
	res := runImport(t, t.Context(), dir, importOptions(t, s.URL+"/fhir", filepath.Join(t.TempDir(), "state")))
	if res.Failed != 0 || res.Created == 0 {
		t.Fatalf("result %+v", res)
	}
	checkStored(t, s, want)
}

// BenchmarkImport loads the seed output of 200 patients (NDJSON) into a
// fresh SQLite server per iteration, audit trail and all, and reports
// resources per second. The server takes bodies up to 8 MiB here, as in
// production, so batches hold 200 entries.
func BenchmarkImport(b *testing.B) {
	// EHR_BENCH_IMPORT_PATIENTS sizes the clinic: past about 250 patients
	// (10,000 audit records) the AuditEvent projection runs during the
	// import instead of after it, and the rate is the sustained one.
	patients := 200
	if v, err := strconv.Atoi(os.Getenv("EHR_BENCH_IMPORT_PATIENTS")); err == nil && v > 0 {
		patients = v
	}
	dir := seedClinic(b, seed.Config{Patients: patients, Seed: 1}, "ndjson")
	tokens, err := importer.NewSecretToken([]byte(testSecret), "importer", importer.ImportScope)
	if err != nil {
		b.Fatal(err)
	}
	resources := 0
	var busy, cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		base := startBenchServer(b)
		b.StartTimer()
		start, cpu0 := time.Now(), processCPU()
		res, err := importer.Run(context.Background(), []string{dir}, importer.Options{
			Server: base, Tokens: tokens, Concurrency: 4, BatchSize: 200,
		})
		busy += time.Since(start)
		cpu += processCPU() - cpu0
		if err != nil || res.Failed != 0 {
			b.Fatalf("import: %v %+v", err, res)
		}
		resources += res.Created
	}
	b.ReportMetric(float64(resources)/busy.Seconds(), "resources/s")
	if cpu > 0 {
		// CPU per resource, client and server together: unlike the rate,
		// it barely depends on what else the machine is running.
		b.ReportMetric(float64(cpu.Microseconds())/float64(resources), "cpu-µs/resource")
	}
}

// processCPU is the CPU time this process has used (Linux /proc; 0 elsewhere).
func processCPU() time.Duration {
	raw, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces, inside parentheses).
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		return 0
	}
	var utime, stime int64
	fmt.Sscan(f[11], &utime)
	fmt.Sscan(f[12], &stime)
	const ticksPerSecond = 100 // USER_HZ, 100 on every Linux build
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

// startBenchServer runs a server on a fresh SQLite file, like newServer
// but for benchmarks and with the production body limit.
func startBenchServer(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	env := map[string]string{
		"EHR_STORE":             "sqlite:" + filepath.Join(dir, "ehr.db"),
		"EHR_AUTH_HS256_SECRET": testSecret,
		"EHR_DATA_DIR":          dir,
	}
	cfg, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatalf("start server: %v", err)
	}
	hs := httptest.NewServer(a.Handler())
	b.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Close(ctx); err != nil {
			b.Errorf("close: %v", err)
		}
	})
	return hs.URL + "/fhir"
}

package importer

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fastRetry keeps tests quick.
func testOptions(f *fakeFHIR, state string) Options {
	return Options{Server: f.URL(), Tokens: StaticToken("t"), Concurrency: 3, BatchSize: 4, StatePath: state, Retries: 4}
}

func mustRun(t *testing.T, files []string, opts Options) *Result {
	t.Helper()
	res, err := Run(t.Context(), files, opts)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
}

func TestImportNDJSON(t *testing.T) {
	f := newFake(t)
	dir := t.TempDir()
	files := []string{
		writeFile(t, dir, "Observation.ndjson", ndjsonLines("Observation", 9, "o")),
		writeFile(t, dir, "Patient.ndjson", ndjsonLines("Patient", 10, "p")),
	}
	state := filepath.Join(dir, "state")
	res := mustRun(t, files, testOptions(f, state))
	if res.Created != 19 || res.Failed != 0 || res.Sent() != 19 {
		t.Fatalf("result %+v", res)
	}
	if n, v := f.counts(); n != 19 || v != 19 {
		t.Fatalf("server holds %d resources in %d versions", n, v)
	}
	// Again with the state file: nothing is sent.
	before := f.requests
	res = mustRun(t, files, testOptions(f, state))
	if res.Skipped != 19 || res.Sent() != 0 || f.requests != before {
		t.Errorf("re-run sent %d requests: %+v", f.requests-before, res)
	}
	// Again without it but comparing first: no new version.
	opts := testOptions(f, "")
	opts.SkipUnchanged = true
	res = mustRun(t, files, opts)
	if res.Unchanged != 19 || res.Created+res.Updated != 0 {
		t.Errorf("skip-unchanged re-run: %+v", res)
	}
	if _, v := f.counts(); v != 19 {
		t.Errorf("%d versions after re-imports, want 19", v)
	}
}

func TestRetriesTransientFailures(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header http.Header
	}{
		{"throttled with Retry-After", http.StatusTooManyRequests, http.Header{"Retry-After": {"0"}}},
		{"unavailable", http.StatusServiceUnavailable, nil},
		{"bad gateway", http.StatusBadGateway, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			var faults atomic.Int32
			f.fault = func(n int, r *http.Request, _ []byte) (int, http.Header) {
				if r.URL.Path == "/fhir" && faults.Add(1) <= 2 {
					return tt.status, tt.header
				}
				return 0, nil
			}
			file := writeFile(t, t.TempDir(), "p.ndjson", ndjsonLines("Patient", 6, "p"))
			res := mustRun(t, []string{file}, testOptions(f, ""))
			if res.Created != 6 || res.Failed != 0 {
				t.Errorf("result %+v", res)
			}
			if _, v := f.counts(); v != 6 {
				t.Errorf("%d versions, want 6", v)
			}
		})
	}
}

// A 503 that came after the server stored the batch: the retry compares
// and sends nothing again.
func TestAmbiguousFailureAddsNoVersion(t *testing.T) {
	f := newFake(t)
	var once atomic.Bool
	f.fault = func(n int, r *http.Request, body []byte) (int, http.Header) {
		if r.URL.Path == "/fhir" && once.CompareAndSwap(false, true) {
			f.bundle(httptestDiscard{}, body) // store it, then claim failure
			return http.StatusServiceUnavailable, nil
		}
		return 0, nil
	}
	file := writeFile(t, t.TempDir(), "p.ndjson", ndjsonLines("Patient", 3, "p"))
	opts := testOptions(f, "")
	opts.Concurrency = 1
	res := mustRun(t, []string{file}, opts)
	if res.Unchanged != 3 || res.Failed != 0 {
		t.Errorf("result %+v", res)
	}
	if _, v := f.counts(); v != 3 {
		t.Errorf("%d versions, want 3", v)
	}
}

func TestSplitsWhenTooLarge(t *testing.T) {
	f := newFake(t)
	f.maxBody = 300 // about two entries
	file := writeFile(t, t.TempDir(), "p.ndjson", ndjsonLines("Patient", 9, "p"))
	opts := testOptions(f, "")
	opts.BatchSize = 9
	res := mustRun(t, []string{file}, opts)
	if res.Created != 9 || res.Failed != 0 {
		t.Errorf("result %+v", res)
	}
}

func TestFailuresReportedAndRetriedOnResume(t *testing.T) {
	f := newFake(t)
	dir := t.TempDir()
	lines := ndjsonLines("Patient", 5, "p")
	lines = strings.Replace(lines, `"id":"p3"`, `"id":"p3","name":"refuse-me"`, 1)
	lines += "{broken\n"
	file := writeFile(t, dir, "p.ndjson", lines)
	state := filepath.Join(dir, "state")
	res := mustRun(t, []string{file}, testOptions(f, state))
	if res.Created != 4 || res.Failed != 2 || len(res.Failures) != 2 {
		t.Fatalf("result %+v", res)
	}
	got := res.Failures[0]
	if got.Item != 4 || got.Ref != "Patient/p3" || got.Status != 400 || got.Message != "Patient.name: refused as asked" {
		t.Errorf("failure = %+v", got)
	}
	if bad := res.Failures[1]; bad.Item != 6 || bad.Status != 0 || !strings.Contains(bad.Message, "not a JSON resource") {
		t.Errorf("failure = %+v", bad)
	}
	// The resume sends only the failed ones again.
	res = mustRun(t, []string{file}, testOptions(f, state))
	if res.Skipped != 4 || res.Failed != 2 || res.Created != 0 {
		t.Errorf("resume: %+v", res)
	}
}

// A journal that says a batch was begun but not answered: the resume
// compares with the server and writes only what is missing.
func TestResumeComparesUncertainBatch(t *testing.T) {
	f := newFake(t)
	dir := t.TempDir()
	file := writeFile(t, dir, "p.ndjson", ndjsonLines("Patient", 8, "p"))
	state := filepath.Join(dir, "state")

	// First run: interrupted after the first batch is stored but before
	// its answer arrives.
	ctx, cancel := context.WithCancel(t.Context())
	var first atomic.Bool
	f.fault = func(n int, r *http.Request, body []byte) (int, http.Header) {
		if r.URL.Path == "/fhir" && first.CompareAndSwap(false, true) {
			f.bundle(httptestDiscard{}, body) // stored…
			cancel()                          // …but the client is gone before the answer
			time.Sleep(50 * time.Millisecond)
			return http.StatusServiceUnavailable, nil
		}
		return 0, nil
	}
	opts := testOptions(f, state)
	opts.Concurrency = 1
	if _, err := Run(ctx, []string{file}, opts); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v", err)
	}
	f.fault = nil
	res := mustRun(t, []string{file}, opts)
	if res.Unchanged != 4 || res.Created != 4 || res.Failed != 0 {
		t.Errorf("resume: %+v", res)
	}
	if n, v := f.counts(); n != 8 || v != 8 {
		t.Errorf("%d resources in %d versions, want 8 in 8", n, v)
	}
}

func TestTokenRefusal(t *testing.T) {
	f := newFake(t)
	f.token = "good"
	file := writeFile(t, t.TempDir(), "p.ndjson", ndjsonLines("Patient", 3, "p"))
	opts := testOptions(f, "")
	opts.Tokens = StaticToken("bad")
	_, err := Run(t.Context(), []string{file}, opts)
	if !IsFatal(err) || !strings.Contains(err.Error(), "401") {
		t.Errorf("err = %v, want a fatal 401", err)
	}
}

func TestSecretTokenRenewsOn401(t *testing.T) {
	secret := []byte(strings.Repeat("s", 32))
	src, err := NewSecretToken(secret, "importer", ImportScope)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := src.Token(t.Context())
	if again, _ := src.Token(t.Context()); again != first {
		t.Error("token not cached")
	}
	if !src.Refresh() {
		t.Fatal("a minted token cannot be refreshed")
	}
	if next, _ := src.Token(t.Context()); next == first {
		t.Error("refresh kept the refused token")
	}
	if _, err := NewSecretToken([]byte("short"), "x", ImportScope); err == nil {
		t.Error("a short secret was accepted")
	}
}

func TestTransactionFileSentWhole(t *testing.T) {
	f := newFake(t)
	dir := t.TempDir()
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
{"resource":{"resourceType":"Patient","id":"a"},"request":{"method":"PUT","url":"Patient/a"}},
{"resource":{"resourceType":"Observation","id":"o"},"request":{"method":"PUT","url":"Observation/o"}}]}`
	bad := strings.Replace(strings.ReplaceAll(tx, `"a"`, `"b"`), `"Patient/a"`, `"Patient/b"`, 1)
	bad = strings.Replace(bad, `"id":"o"`, `"id":"o2","x":"refuse-me"`, 1)
	bad = strings.Replace(bad, `Observation/o"`, `Observation/o2"`, 1)
	files := []string{writeFile(t, dir, "a.json", tx), writeFile(t, dir, "b.json", bad)}
	state := filepath.Join(dir, "state")
	opts := testOptions(f, state)
	opts.BatchSize = 1 // a transaction is never cut
	res := mustRun(t, files, opts)
	if res.Created != 2 || res.Failed != 2 {
		t.Errorf("result %+v", res)
	}
	if types := f.bundleTypes(); len(types) != 2 || types[0] != "transaction" || types[1] != "transaction" {
		t.Errorf("bundles sent: %v", types)
	}
	if n, _ := f.counts(); n != 2 {
		t.Errorf("a failed transaction left %d resources", n-2)
	}
	res = mustRun(t, files, opts)
	if res.Skipped != 2 || res.Failed != 2 {
		t.Errorf("resume: %+v", res)
	}
}

// httptestDiscard is a ResponseWriter that drops everything.
type httptestDiscard struct{}

func (httptestDiscard) Header() http.Header         { return http.Header{} }
func (httptestDiscard) Write(b []byte) (int, error) { return len(b), nil }
func (httptestDiscard) WriteHeader(int)             {}

// When retries run out the import stops (every other batch would fail
// alike) and the batch stays begun, so the resume compares it.
func TestGivesUpAndResumes(t *testing.T) {
	f := newFake(t)
	dir := t.TempDir()
	file := writeFile(t, dir, "p.ndjson", ndjsonLines("Patient", 4, "p"))
	state := filepath.Join(dir, "state")
	f.fault = func(n int, r *http.Request, body []byte) (int, http.Header) {
		return http.StatusServiceUnavailable, http.Header{"Retry-After": {"0"}}
	}
	opts := testOptions(f, state)
	opts.Retries = 2
	_, err := Run(t.Context(), []string{file}, opts)
	if !IsFatal(err) || !strings.Contains(err.Error(), "giving up after 2 attempts") {
		t.Fatalf("err = %v", err)
	}
	f.fault = nil
	res := mustRun(t, []string{file}, opts)
	if res.Created != 4 || res.Skipped != 0 {
		t.Errorf("resume: %+v", res)
	}
	if _, v := f.counts(); v != 4 {
		t.Errorf("%d versions, want 4", v)
	}
}

// closeAfter closes ch once n resources are through.
type closeAfter struct {
	n, done int
	ch      chan struct{}
	mu      sync.Mutex
}

func (c *closeAfter) SetTotal(int64) {}
func (c *closeAfter) Add(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done += n; c.done >= c.n && c.ch != nil {
		close(c.ch)
		c.ch = nil
	}
}

// A graceful stop lets the batches in flight finish and journals them, so
// the resume sends only the rest.
func TestDrainStopsGracefully(t *testing.T) {
	f := newFake(t)
	dir := t.TempDir()
	file := writeFile(t, dir, "p.ndjson", ndjsonLines("Patient", 40, "p"))
	state := filepath.Join(dir, "state")
	drain := make(chan struct{})
	opts := testOptions(f, state)
	opts.Drain = drain
	opts.Progress = &closeAfter{n: 8, ch: drain}
	first, err := Run(t.Context(), []string{file}, opts)
	if !errors.Is(err, ErrStopped) || first.Created >= 40 || first.Created < 8 {
		t.Fatalf("err = %v, result %+v", err, first)
	}
	opts.Drain, opts.Progress = nil, nil
	res := mustRun(t, []string{file}, opts)
	if res.Skipped != first.Created || res.Created != 40-first.Created || res.Unchanged != 0 {
		t.Errorf("resume after %d: %+v", first.Created, res)
	}
	if _, v := f.counts(); v != 40 {
		t.Errorf("%d versions, want 40", v)
	}
}

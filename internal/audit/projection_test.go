package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// auditRegistry is the search registry the server indexes AuditEvents with.
func auditRegistry(t testing.TB) *search.Registry {
	t.Helper()
	// The error lists parameters the specification gives no expression
	// (_text, _content…): warnings, as for the server.
	reg, _ := search.NewRegistry([]string{"AuditEvent", "Patient"})
	return reg
}

// patientEvents searches the AuditEvents that concern a patient, as the
// accounting of disclosures does.
func patientEvents(t testing.TB, st store.Store, reg *search.Registry, patient string) int {
	t.Helper()
	req, err := reg.Parse("AuditEvent", url.Values{"patient": {"Patient/" + patient}}, search.Options{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Search(context.Background(), &store.Query{Type: "AuditEvent", Where: req.Where, Count: 1000})
	if err != nil {
		t.Fatalf("search AuditEvents: %v", err)
	}
	return len(res.Resources)
}

// checkProjected asserts that records [0, n) have AuditEvents whose bodies
// are the log's.
func checkProjected(t testing.TB, st store.Store, n int64) {
	t.Helper()
	entries, err := st.LogEntries(context.Background(), 0, n)
	if err != nil || int64(len(entries)) != n {
		t.Fatalf("LogEntries: %v, %d entries, want %d", err, len(entries), n)
	}
	for _, e := range entries {
		res, err := st.Read(context.Background(), "AuditEvent", e.ResourceID)
		if err != nil {
			t.Fatalf("record %d: read its AuditEvent: %v", e.Seq, err)
		}
		if !bytes.Equal(res.Body, e.Body) {
			t.Fatalf("record %d: AuditEvent body differs from the log's", e.Seq)
		}
	}
}

// A record is durable in the log when Record returns; Sync makes its
// AuditEvent searchable.
func TestSyncMakesRecordsSearchable(t *testing.T) {
	st := openStore(t)
	reg := auditRegistry(t)
	r := startRecorder(t, st, Options{Index: reg.Extract})
	record(t, r, 40)
	checkContiguous(t, st, 40)
	if err := r.Sync(context.Background()); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	checkProjected(t, st, 40)
	if got := patientEvents(t, st, reg, "123"); got != 40 {
		t.Errorf("search by patient found %d AuditEvents, want 40", got)
	}
	if s := r.Stats(); s.Projected != 40 || s.Lag != 0 {
		t.Errorf("Stats: Projected %d, Lag %d; want 40, 0", s.Projected, s.Lag)
	}
	mustVerify(t, st)
}

// Requests never wait for the projection, and a failing projection does not
// fail them: their records are in the log. Readers get ErrUnavailable until
// it works again, then everything.
func TestProjectionFailure(t *testing.T) {
	st := openStore(t)
	reg := auditRegistry(t)
	var broken atomic.Bool
	index := func(typ string, doc map[string]any) ([]search.IndexEntry, map[string]any, error) {
		if broken.Load() {
			return nil, nil, errors.New("index broken")
		}
		return reg.Extract(typ, doc)
	}
	r := startRecorder(t, st, Options{Index: index})
	record(t, r, 5)
	if err := r.Sync(context.Background()); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	broken.Store(true)
	record(t, r, 5)
	if err := r.Sync(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Sync with a broken projection = %v, want ErrUnavailable", err)
	}
	checkContiguous(t, st, 10)
	broken.Store(false)
	if err := r.Sync(context.Background()); err != nil {
		t.Fatalf("Sync once healed: %v", err)
	}
	checkProjected(t, st, 10)
	if got := patientEvents(t, st, reg, "123"); got != 10 {
		t.Errorf("search by patient found %d AuditEvents, want 10", got)
	}
	mustVerify(t, st)
}

// Records that a stopped server left unprojected are projected by the next
// recorder, or by CatchUp for a tool that reads the store directly.
func TestUnprojectedTailIsProjectedLater(t *testing.T) {
	tests := []struct {
		name    string
		resume  func(t *testing.T, st storeWithDB, reg *search.Registry)
		records int64
	}{
		{name: "next recorder", records: 20, resume: func(t *testing.T, st storeWithDB, reg *search.Registry) {
			r := startRecorder(t, st, Options{Index: reg.Extract})
			if err := r.Sync(context.Background()); err != nil {
				t.Fatalf("Sync: %v", err)
			}
		}},
		{name: "CatchUp", records: 20, resume: func(t *testing.T, st storeWithDB, reg *search.Registry) {
			if err := CatchUp(context.Background(), st, reg.Extract); err != nil {
				t.Fatalf("CatchUp: %v", err)
			}
		}},
		{name: "a longer tail than one chunk", records: 2*projectChunk + 7, resume: func(t *testing.T, st storeWithDB, reg *search.Registry) {
			if err := CatchUp(context.Background(), st, reg.Extract); err != nil {
				t.Fatalf("CatchUp: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			reg := auditRegistry(t)
			r := startRecorder(t, st, Options{Index: reg.Extract})
			record(t, r, int(tt.records))
			if err := r.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			unproject(t, st, 3) // as if the server had stopped right after record 2's
			mustVerify(t, st)   // an unprojected tail is not tampering
			if got := patientEvents(t, st, reg, "123"); got != 3 {
				t.Fatalf("before: search found %d AuditEvents, want 3", got)
			}
			tt.resume(t, st, reg)
			checkProjected(t, st, tt.records)
			if got := patientEvents(t, st, reg, "123"); int64(got) != tt.records {
				t.Errorf("search found %d AuditEvents, want %d", got, tt.records)
			}
			mustVerify(t, st)
		})
	}
}

// Read-your-writes under load: once a request's Record returned, a Sync
// started afterwards makes its AuditEvent readable, while other requests keep
// the sequencer busy.
func TestSyncReadsYourWritesUnderLoad(t *testing.T) {
	st := openStore(t)
	reg := auditRegistry(t)
	ids := sequentialIDs()
	r := startRecorder(t, st, Options{Index: reg.Extract, NewID: ids, MaxProjectionLag: 1 << 30})
	ctx := context.Background()
	stop := make(chan struct{})
	var busy sync.WaitGroup
	for range 8 { // background load
		busy.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := r.Record(ctx, readEvent(0)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var readers sync.WaitGroup
	for w := range 4 {
		readers.Go(func() {
			for i := range 25 {
				ev := readEvent(0)
				ev.RequestID = fmt.Sprintf("req-%d-%d", w, i)
				if err := r.Record(ctx, ev); err != nil {
					t.Error(err)
					return
				}
				size := logSize(t, st)
				if err := r.Sync(ctx); err != nil {
					t.Error(err)
					return
				}
				entries, err := st.LogEntries(ctx, size-1, size)
				if err != nil || len(entries) != 1 {
					t.Errorf("LogEntries(%d): %v", size-1, err)
					return
				}
				if _, err := st.Read(ctx, "AuditEvent", entries[0].ResourceID); err != nil {
					t.Errorf("record %d answered before Sync is not readable after it: %v", size-1, err)
					return
				}
			}
		})
	}
	readers.Wait()
	close(stop)
	busy.Wait()
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	n := logSize(t, st)
	checkProjected(t, st, n)
	mustVerify(t, st)
}

// A Close that runs out of time leaves the projection to the next start
// instead of holding up the shutdown; nothing is lost.
func TestCloseOutOfTimeLeavesTheProjection(t *testing.T) {
	st := openStore(t)
	reg := auditRegistry(t)
	r := startRecorder(t, st, Options{Index: reg.Extract, MaxProjectionLag: 1 << 30})
	record(t, r, 3*projectChunk)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close = %v, want context.Canceled", err)
	}
	if p := r.Stats().Projected; p >= 3*projectChunk {
		t.Logf("the projection finished before Close gave up (%d records): nothing to leave", p)
	}
	mustVerify(t, st)
	next := startRecorder(t, st, Options{Index: reg.Extract})
	if err := next.Sync(context.Background()); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	checkProjected(t, st, 3*projectChunk)
}

// However many records one batch adds, the lag is back within its bound
// once the batch is committed.
func TestLagBoundHoldsAfterEveryBatch(t *testing.T) {
	st := openStore(t)
	reg := auditRegistry(t)
	const bound = 10
	r := startRecorder(t, st, Options{Index: reg.Extract, MaxProjectionLag: bound})
	for _, n := range []int{5, 3*projectChunk + 1, 40} { // one batch each
		record(t, r, n)
		// Record returns once the batch is committed; the projection that
		// follows on the sequencer is done before the next batch is taken,
		// so a Record of nothing (a marker) waits for it.
		record(t, r, 0)
		if lag := logSize(t, st) - r.Stats().Projected; lag > bound+1 {
			t.Errorf("after a batch of %d: lag %d, bound %d", n, lag, bound)
		}
	}
}

package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/clinic/ehr/internal/store"
	"github.com/clinic/ehr/internal/store/sqlite"
)

func TestRecordConcurrent(t *testing.T) {
	st := openStore(t)
	r := startRecorder(t, st, Options{})
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() { errs <- r.Record(context.Background(), readEvent(i)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Record: %v", err)
		}
	}
	checkContiguous(t, st, n)
	s := r.Stats()
	t.Logf("%d requests in %d commits: mean batch %.1f", s.Requests, s.Commits, s.MeanBatch)
	if s.Events != n || s.Requests != n {
		t.Errorf("stats count %d events, %d requests; want %d", s.Events, s.Requests, n)
	}
	if s.MeanBatch <= 1 {
		t.Errorf("mean batch %.2f: requests were not grouped", s.MeanBatch)
	}
	mustVerify(t, st)
}

// A unit's writes and its audit record commit together, and a failed unit
// still gets its (failure) record.
func TestDoRecordsTheUnitOutcome(t *testing.T) {
	errInvalid := errors.New("invalid resource")
	tests := []struct {
		name        string
		fail        func() error // what the unit does after its write
		wantErr     error        // nil: any non-nil error when wantOutcome is "4"
		wantOutcome string
		wantPatient bool
	}{
		{name: "unit succeeds", fail: func() error { return nil }, wantOutcome: "0", wantPatient: true},
		{name: "unit fails", fail: func() error { return errInvalid }, wantErr: errInvalid, wantOutcome: "4"},
		{name: "unit panics", fail: func() error { panic("engine bug") }, wantOutcome: "4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			r := startRecorder(t, st, Options{NewID: sequentialIDs()})
			unit := func(tx store.Tx) error {
				if err := tx.Put(patientWrite("p1")); err != nil {
					return err
				}
				return tt.fail()
			}
			build := func(unitErr error) []Event {
				if unitErr != nil {
					return []Event{{Interaction: "create", Agent: clinician, Type: "Patient", Outcome: OutcomeMinor, OutcomeDesc: "invalid resource"}}
				}
				return []Event{{Interaction: "create", Agent: clinician, Type: "Patient", Entities: []string{"Patient/p1/_history/1"}}}
			}
			err := r.Do(context.Background(), unit, build)
			switch {
			case tt.wantOutcome == "0" && err != nil:
				t.Fatalf("Do = %v, want nil", err)
			case tt.wantOutcome != "0" && (err == nil || errors.Is(err, ErrUnavailable)):
				t.Fatalf("Do = %v, want the unit's error", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("Do = %v, want %v", err, tt.wantErr)
			}
			_, err = st.Read(context.Background(), "Patient", "p1")
			if got := err == nil; got != tt.wantPatient {
				t.Errorf("patient stored = %v (err %v), want %v", got, err, tt.wantPatient)
			}
			if err := r.Sync(context.Background()); err != nil {
				t.Fatalf("Sync: %v", err)
			}
			if got := storedOutcome(t, st, "ae-0"); got != tt.wantOutcome {
				t.Errorf("AuditEvent outcome = %q, want %q", got, tt.wantOutcome)
			}
			checkContiguous(t, st, 1)
		})
	}
}

// In one group commit, a failed unit rolls back alone.
func TestFailedUnitLeavesItsBatchAlone(t *testing.T) {
	st := openStore(t)
	r := startRecorder(t, st, Options{})
	errOdd := errors.New("odd")
	const n = 30
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id := fmt.Sprintf("p%d", i)
			err := r.Do(context.Background(),
				func(tx store.Tx) error {
					if err := tx.Put(patientWrite(id)); err != nil {
						return err
					}
					if i%2 == 1 {
						return errOdd
					}
					return nil
				},
				func(unitErr error) []Event {
					e := Event{Interaction: "create", Type: "Patient", Agent: clinician}
					if unitErr != nil {
						e.Outcome = OutcomeMinor
					}
					return []Event{e}
				})
			if want := i%2 == 1; errors.Is(err, errOdd) != want || (!want && err != nil) {
				t.Errorf("Do %d = %v", i, err)
			}
		})
	}
	wg.Wait()
	for i := range n {
		_, err := st.Read(context.Background(), "Patient", fmt.Sprintf("p%d", i))
		if stored := err == nil; stored != (i%2 == 0) {
			t.Errorf("patient p%d stored = %v", i, stored)
		}
	}
	checkContiguous(t, st, n)
	t.Logf("mean batch %.1f", r.Stats().MeanBatch)
}

func patientWrite(id string) store.Write {
	body := []byte(`{"resourceType":"Patient","id":"` + id + `","meta":{"versionId":"1"}}`)
	return store.Write{Resource: store.Resource{Type: "Patient", ID: id, VersionID: 1, LastUpdated: when, Body: body}}
}

func storedOutcome(t *testing.T, st store.Store, id string) string {
	t.Helper()
	res, err := st.ReadVersion(context.Background(), "AuditEvent", id, 1)
	if err != nil {
		t.Fatalf("read AuditEvent %s: %v", id, err)
	}
	var doc struct {
		Outcome string
		Meta    struct{ VersionID, LastUpdated string }
	}
	if err := json.Unmarshal(res.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Meta.VersionID != "1" || doc.Meta.LastUpdated != "2024-05-06T07:08:09.123Z" {
		t.Errorf("meta = %+v", doc.Meta)
	}
	return doc.Outcome
}

// When the commit fails every waiter of the batch gets ErrUnavailable, no
// unit's write survives, and the log continues without a gap afterwards.
func TestCommitFailure(t *testing.T) {
	// A stray tree hash where record 3's must go makes every append fail
	// inside finish, until it is removed.
	strayHash := tlog.StoredHashIndex(0, 3)
	tests := []struct {
		name string
		fail func(t *testing.T, st *sqlite.Store)
		heal func(t *testing.T, st *sqlite.Store) // nil: stays broken
	}{
		{name: "finish cannot write",
			fail: func(t *testing.T, st *sqlite.Store) {
				exec(t, st, `INSERT INTO audit_hash (idx, hash) VALUES (?, zeroblob(32))`, strayHash)
			},
			heal: func(t *testing.T, st *sqlite.Store) { exec(t, st, `DELETE FROM audit_hash WHERE idx = ?`, strayHash) }},
		{name: "store closed", fail: func(_ *testing.T, st *sqlite.Store) { _ = st.Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			r := startRecorder(t, st, Options{})
			record(t, r, 3)
			tt.fail(t, st)

			const n = 20
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					id := "w" + string(rune('a'+i))
					errs[i] = r.Do(context.Background(),
						func(tx store.Tx) error { return tx.Put(patientWrite(id)) },
						func(error) []Event { return []Event{readEvent(i)} })
				})
			}
			wg.Wait()
			for i, err := range errs {
				if !errors.Is(err, ErrUnavailable) {
					t.Fatalf("waiter %d: err = %v, want ErrUnavailable", i, err)
				}
			}
			if s := r.Stats(); s.Failures == 0 {
				t.Errorf("stats show no failure: %+v", s)
			}
			if tt.heal == nil {
				return
			}
			if _, err := st.Read(context.Background(), "Patient", "wa"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a failed batch's write survived: %v", err)
			}
			tt.heal(t, st)
			record(t, r, 1)
			checkContiguous(t, st, 4)
			mustVerify(t, st)
		})
	}
}

// A caller that goes away mid-commit cannot cancel its own audit record.
func TestDoOutlivesCallerContext(t *testing.T) {
	st := openStore(t)
	r := startRecorder(t, st, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	unit := func(tx store.Tx) error {
		cancel()  // the client hangs up while its unit runs
		<-release // and the commit takes a while
		return tx.Put(patientWrite("p1"))
	}
	done := make(chan error, 1)
	go func() {
		done <- r.Do(ctx, unit, func(error) []Event { return []Event{readEvent(0)} })
	}()
	select {
	case err := <-done:
		t.Fatalf("Do returned before the commit finished: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Do = %v, want context.Canceled", err)
	}
	checkContiguous(t, st, 1)
	if _, err := st.Read(context.Background(), "Patient", "p1"); err != nil {
		t.Errorf("the unit's write was lost: %v", err)
	}
}

// Two recorders on one store stand for two server instances on one database:
// each one's AppendLog conflicts when the other moved the log, and it retries.
func TestTwoRecordersShareOneLog(t *testing.T) {
	st := openStore(t)
	a := startRecorder(t, st, Options{})
	b := startRecorder(t, st, Options{})
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Go(func() { errs <- a.Record(context.Background(), readEvent(i)) })
		wg.Go(func() { errs <- b.Record(context.Background(), readEvent(i)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Record: %v", err)
		}
	}
	checkContiguous(t, st, 2*n)
	mustVerify(t, st)
	t.Logf("conflict retries: a %d, b %d", a.Stats().Conflicts, b.Stats().Conflicts)
	if a.Stats().Conflicts+b.Stats().Conflicts == 0 {
		t.Error("no conflict seen: the test did not exercise the retry")
	}
}

func TestRestartContinuesTheLog(t *testing.T) {
	st := openStore(t)
	first := startRecorder(t, st, Options{})
	record(t, first, 5)
	if err := first.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := first.Record(context.Background(), readEvent(0)); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Record after Close = %v, want ErrUnavailable", err)
	}
	second := startRecorder(t, st, Options{})
	record(t, second, 6)
	checkContiguous(t, st, 11)
	mustVerify(t, st)
}

func TestNewRecorderRefusesAnUnreadableLog(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, st storeWithDB)
	}{
		{name: "store closed", damage: func(_ *testing.T, st storeWithDB) { _ = st.Close() }},
		{name: "tree hashes gone", damage: func(t *testing.T, st storeWithDB) { exec(t, st, `DROP TABLE audit_hash`) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			r := startRecorder(t, st, Options{})
			record(t, r, 3)
			if err := r.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			tt.damage(t, st)
			if _, err := NewRecorder(context.Background(), st, Options{}); err == nil {
				t.Fatal("NewRecorder started on an unreadable log")
			}
		})
	}
}

func TestCloseDrainsTheQueue(t *testing.T) {
	st := openStore(t)
	r := startRecorder(t, st, Options{MaxBatch: 4})
	const n = 50
	var wg sync.WaitGroup
	var failed atomic.Int64
	var started sync.WaitGroup
	started.Add(n)
	for i := range n {
		wg.Go(func() {
			started.Done()
			if err := r.Record(context.Background(), readEvent(i)); err != nil && !errors.Is(err, ErrUnavailable) {
				t.Errorf("Record: %v", err)
			} else if err != nil {
				failed.Add(1) // arrived after Close: refused, not lost
			}
		})
	}
	started.Wait()
	if err := r.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	checkContiguous(t, st, n-failed.Load())
	if s := r.Stats(); s.MeanBatch > 4 {
		t.Errorf("mean batch %.1f exceeds MaxBatch 4", s.MeanBatch)
	}
}

func TestPeriodicCheckpoints(t *testing.T) {
	st := openStore(t)
	signer, verifier := testKeys(t)
	got := make(chan []byte, 100)
	r := startRecorder(t, st, Options{
		Signer: signer, CheckpointEvery: 5 * time.Millisecond,
		OnCheckpoint: func(msg []byte) { got <- msg },
	})
	if tree := openTree(t, r.LastCheckpoint(), verifier); tree.Size != 0 {
		t.Fatalf("first checkpoint has size %d, want 0", tree.Size)
	}
	record(t, r, 7)
	deadline := time.After(5 * time.Second)
	for {
		select {
		case msg := <-got:
			if tree := openTree(t, msg, verifier); tree.Size == 7 {
				rep, err := Verify(context.Background(), st, msg, verifier)
				if err != nil || !rep.OK() {
					t.Fatalf("Verify with the periodic checkpoint: %v %+v", err, rep)
				}
				return
			}
		case <-deadline:
			t.Fatal("no checkpoint of size 7")
		}
	}
}

// TestTakeBoundsTheBatch: a commit takes queued requests up to MaxBatch and
// MaxBatchWeight, but always at least one, however heavy.
func TestTakeBoundsTheBatch(t *testing.T) {
	tests := []struct {
		name     string
		weights  []int
		maxBatch int
		maxW     int
		want     []int // batch sizes, in turn
	}{
		{"light requests fill MaxBatch", []int{1, 1, 1, 1, 1}, 2, 100, []int{2, 2, 1}},
		{"weights stop a batch", []int{3, 3, 3, 1}, 10, 6, []int{2, 2}},
		{"a request heavier than the bound goes alone", []int{1, 50, 1}, 10, 10, []int{1, 1, 1}},
		{"an unweighted request counts one", []int{0, 0, 0}, 10, 2, []int{2, 1}},
	}
	gathered := []struct {
		name           string
		held, queued   []int // weights of the batch taken and of the queue
		maxBatch, maxW int
		want           int // size of the batch once gathered
	}{
		{"gathering fills up to MaxBatch", []int{1, 1}, []int{1, 1, 1}, 4, 100, 4},
		{"gathering counts the held weight", []int{3, 3}, []int{1, 1}, 10, 7, 3},
		{"a full batch takes nothing", []int{1, 1}, []int{1}, 2, 100, 2},
	}
	for _, tt := range gathered {
		t.Run(tt.name, func(t *testing.T) {
			r := &Recorder{opts: Options{MaxBatch: tt.maxBatch, MaxBatchWeight: tt.maxW}.withDefaults()}
			var held []*request
			for _, w := range tt.held {
				held = append(held, &request{weight: w})
			}
			for _, w := range tt.queued {
				r.queue = append(r.queue, &request{weight: w})
			}
			batch, _ := r.take(held)
			if len(batch) != tt.want || len(batch)+len(r.queue) != len(tt.held)+len(tt.queued) {
				t.Errorf("batch of %d with %d left queued, want %d", len(batch), len(r.queue), tt.want)
			}
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Recorder{opts: Options{MaxBatch: tt.maxBatch, MaxBatchWeight: tt.maxW}.withDefaults()}
			for _, w := range tt.weights {
				r.queue = append(r.queue, &request{weight: w})
			}
			var got []int
			for len(r.queue) > 0 && len(got) < 10 {
				batch, _ := r.take(nil)
				got = append(got, len(batch))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("batches %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWithWeight(t *testing.T) {
	ctx := context.Background()
	if w := weightOf(ctx); w != 1 {
		t.Errorf("weight without WithWeight = %d, want 1", w)
	}
	if w := weightOf(WithWeight(ctx, 21)); w != 21 {
		t.Errorf("weight = %d, want 21", w)
	}
}

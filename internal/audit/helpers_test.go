package audit

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/clinic/ehr/internal/store"
	"github.com/clinic/ehr/internal/store/sqlite"
)

const testOrigin = "ehr.test/audit"

// openStore opens a fresh SQLite store that the test closes. Commits skip
// the fsync (synchronous NORMAL): durability is not under test here.
func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "ehr.db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// startRecorder starts a recorder with a fixed clock that the test closes.
func startRecorder(t testing.TB, st store.Store, opts Options) *Recorder {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return when }
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler) // failures under test are expected
	}
	r, err := NewRecorder(context.Background(), st, opts)
	if err != nil {
		t.Fatalf("NewRecorder: %v", err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

// sequentialIDs names AuditEvents ae-0, ae-1, … so that tests can find them.
func sequentialIDs() func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("ae-%d", n.Add(1)-1) }
}

func readEvent(i int) Event {
	return Event{
		Interaction: "read", Agent: clinician, Type: "Patient", Patient: "123",
		Entities: []string{fmt.Sprintf("Patient/123/_history/%d", i+1)},
	}
}

// record appends n read events in one Record call.
func record(t testing.TB, r *Recorder, n int) {
	t.Helper()
	events := make([]Event, n)
	for i := range events {
		events[i] = readEvent(i)
	}
	if err := r.Record(context.Background(), events...); err != nil {
		t.Fatalf("Record: %v", err)
	}
}

func testKeys(t testing.TB) (note.Signer, note.Verifier) {
	t.Helper()
	s, v, err := LoadOrCreateSigner(filepath.Join(t.TempDir(), "audit.key"), testOrigin)
	if err != nil {
		t.Fatalf("LoadOrCreateSigner: %v", err)
	}
	return s, v
}

func logSize(t testing.TB, st store.Store) int64 {
	t.Helper()
	n, err := st.LogSize(context.Background())
	if err != nil {
		t.Fatalf("LogSize: %v", err)
	}
	return n
}

// checkContiguous asserts the log holds exactly want entries numbered 0…want-1.
func checkContiguous(t testing.TB, st store.Store, want int64) {
	t.Helper()
	if got := logSize(t, st); got != want {
		t.Fatalf("LogSize = %d, want %d", got, want)
	}
	entries, err := st.LogEntries(context.Background(), 0, want)
	if err != nil {
		t.Fatalf("LogEntries: %v", err)
	}
	if int64(len(entries)) != want {
		t.Fatalf("LogEntries returned %d entries, want %d", len(entries), want)
	}
	for i, e := range entries {
		if e.Seq != int64(i) {
			t.Fatalf("entry %d has seq %d", i, e.Seq)
		}
	}
}

// mustVerify asserts that the log verifies.
func mustVerify(t testing.TB, st store.Store) {
	t.Helper()
	rep, err := Verify(context.Background(), st, nil, nil)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !rep.OK() {
		t.Fatalf("Verify: record %d: %s", rep.FirstBad, rep.Problem)
	}
}

func openTree(t testing.TB, msg []byte, v note.Verifier) Tree {
	t.Helper()
	tree, err := OpenCheckpoint(msg, v)
	if err != nil {
		t.Fatalf("OpenCheckpoint: %v", err)
	}
	return tree
}

func leafOf(t testing.TB, st store.Store, seq int64) tlog.Hash {
	t.Helper()
	entries, err := st.LogEntries(context.Background(), seq, seq+1)
	if err != nil || len(entries) != 1 {
		t.Fatalf("LogEntries(%d): %v, %d entries", seq, err, len(entries))
	}
	return tlog.RecordHash(entries[0].Body)
}

// tamperCase edits a closed log of 20 records directly in the storage and
// names the first record Verify must then report.
type tamperCase[S store.Store] struct {
	name   string
	tamper func(t *testing.T, st S)
	want   int64 // first bad sequence number
}

// runTamperCases runs each case on a fresh log from newLog.
func runTamperCases[S store.Store](t *testing.T, newLog func(*testing.T) S, cases []tamperCase[S]) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			st := newLog(t)
			tt.tamper(t, st)
			rep, err := Verify(context.Background(), st, nil, nil)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if rep.FirstBad != tt.want {
				t.Fatalf("FirstBad = %d (%s), want %d", rep.FirstBad, rep.Problem, tt.want)
			}
			t.Logf("record %d: %s", rep.FirstBad, rep.Problem)
		})
	}
}

// checkpointCase changes a log after a checkpoint of it was signed.
type checkpointCase[S store.Store] struct {
	name     string
	change   func(t *testing.T, st S)
	wantBad  int64 // -1: verifies
	selfGood bool  // the log still verifies without the checkpoint
}

// runCheckpointCases runs each case on a fresh log from newLog, verifying
// against the checkpoint signed before the change.
func runCheckpointCases[S store.Store](t *testing.T, newLog func(*testing.T) S, cases []checkpointCase[S]) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			st := newLog(t)
			signer, verifier := testKeys(t)
			cp, err := Checkpoint(context.Background(), st, signer)
			if err != nil {
				t.Fatalf("Checkpoint: %v", err)
			}
			tt.change(t, st)
			if tt.selfGood {
				mustVerify(t, st)
			}
			rep, err := Verify(context.Background(), st, cp, verifier)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if rep.FirstBad != tt.wantBad {
				t.Fatalf("FirstBad = %d (%s), want %d", rep.FirstBad, rep.Problem, tt.wantBad)
			}
		})
	}
}

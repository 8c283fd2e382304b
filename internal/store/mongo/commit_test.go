package mongo

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clinic/ehr/internal/store"
)

func TestPutReadHistory(t *testing.T) {
	s := openMemory(t)
	ctx := context.Background()
	put(t, s, version("Patient", "a", 1), version("Patient", "a", 2))
	del := store.Write{Resource: store.Resource{Type: "Patient", ID: "a", VersionID: 3, LastUpdated: epoch, Deleted: true}}
	put(t, s, del)

	got, err := s.Read(ctx, "Patient", "a")
	if err != nil || !got.Deleted || got.VersionID != 3 || len(got.Body) != 0 {
		t.Fatalf("read after delete = %+v, %v", got, err)
	}
	v2, err := s.ReadVersion(ctx, "Patient", "a", 2)
	want := version("Patient", "a", 2).Resource
	if err != nil || !bytes.Equal(v2.Body, want.Body) || !v2.LastUpdated.Equal(want.LastUpdated) || v2.LastUpdated.Location() != time.UTC {
		t.Fatalf("read version 2 = %+v, %v", v2, err)
	}
	if _, err := s.ReadVersion(ctx, "Patient", "a", 9); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("read version 9: %v, want ErrNotFound", err)
	}
	if _, err := s.Read(ctx, "Patient", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("read missing: %v, want ErrNotFound", err)
	}

	tests := []struct {
		name string
		q    store.HistoryQuery
		want []int64
	}{
		{"all", store.HistoryQuery{}, []int64{3, 2, 1}},
		{"count", store.HistoryQuery{Count: 2}, []int64{3, 2}},
		{"before", store.HistoryQuery{BeforeVersion: 3}, []int64{2, 1}},
		{"since", store.HistoryQuery{Since: want.LastUpdated}, []int64{2}},
		{"since between ms", store.HistoryQuery{Since: want.LastUpdated.Add(-500 * time.Microsecond)}, []int64{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			q.Type, q.ID = "Patient", "a"
			rs, err := s.History(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, r := range rs {
				got = append(got, r.VersionID)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("versions = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := s.History(ctx, store.HistoryQuery{Type: "Patient", ID: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("history of missing: %v, want ErrNotFound", err)
	}
}

func TestCommitUnits(t *testing.T) {
	s := openMemory(t)
	ctx := context.Background()
	put(t, s, version("Patient", "a", 1))
	boom := errors.New("boom")

	var seenInLater int64
	units := []func(store.Tx) error{
		func(tx store.Tx) error { return tx.Put(version("Patient", "a", 2)) },
		func(tx store.Tx) error { return tx.Put(version("Patient", "a", 2)) }, // stale now
		func(tx store.Tx) error {
			if err := tx.Put(version("Patient", "b", 1)); err != nil {
				return err
			}
			return boom // leaves no trace
		},
		func(tx store.Tx) error {
			r, err := tx.Read(ctx, "Patient", "a")
			if err != nil {
				return err
			}
			seenInLater = r.VersionID
			// two puts of one resource in one unit
			if err := tx.Put(version("Patient", "c", 1)); err != nil {
				return err
			}
			return tx.Put(version("Patient", "c", 2))
		},
	}
	var finishResults []error
	results, err := s.Commit(ctx, units, func(tx store.Tx, results []error) error {
		finishResults = results
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if results[0] != nil || !errors.Is(results[1], store.ErrConflict) || !errors.Is(results[2], boom) || results[3] != nil {
		t.Fatalf("results = %v", results)
	}
	if len(finishResults) != 4 || !errors.Is(finishResults[2], boom) {
		t.Fatalf("finish saw %v", finishResults)
	}
	if seenInLater != 2 {
		t.Fatalf("a later unit read version %d, want 2", seenInLater)
	}
	if _, err := s.Read(ctx, "Patient", "b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("failed unit left a trace: %v", err)
	}
	if r, err := s.Read(ctx, "Patient", "c"); err != nil || r.VersionID != 2 {
		t.Fatalf("read c = %+v, %v", r, err)
	}
}

func TestCommitFinishFails(t *testing.T) {
	s := openMemory(t)
	ctx := context.Background()
	boom := errors.New("boom")
	units := []func(store.Tx) error{func(tx store.Tx) error { return tx.Put(version("Patient", "a", 1)) }}
	_, err := s.Commit(ctx, units, func(tx store.Tx, _ []error) error { return boom })
	if !errors.Is(err, boom) || !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("commit err = %v, want boom wrapped in ErrUnavailable", err)
	}
	if _, err := s.Read(ctx, "Patient", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("finish failure left a trace: %v", err)
	}
}

// TestCommitApplyConflict simulates another process that wrote a version
// between the unit's check and its write: the unit fails alone.
func TestCommitApplyConflict(t *testing.T) {
	s := openMemory(t)
	ctx := context.Background()
	_, hist, err := newDocs(version("Patient", "x", 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Database().Collection(colHistory).InsertOne(ctx, hist); err != nil {
		t.Fatal(err)
	}
	units := []func(store.Tx) error{
		func(tx store.Tx) error { return tx.Put(version("Patient", "a", 1)) },
		func(tx store.Tx) error { return tx.Put(version("Patient", "x", 1)) },
		func(tx store.Tx) error { return tx.Put(version("Patient", "b", 1)) },
	}
	results, err := s.Commit(ctx, units, func(tx store.Tx, results []error) error {
		return tx.AppendLog([]store.LogEntry{{Seq: 0, ResourceID: "AuditEvent/1", Hash: []byte{1}}}, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if results[0] != nil || !errors.Is(results[1], store.ErrConflict) || results[2] != nil {
		t.Fatalf("results = %v", results)
	}
	for _, id := range []string{"a", "b"} {
		if _, err := s.Read(ctx, "Patient", id); err != nil {
			t.Errorf("read %s: %v", id, err)
		}
	}
	if _, err := s.Read(ctx, "Patient", "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the failed unit left a resource: %v", err)
	}
	if n, _ := s.LogSize(ctx); n != 1 {
		t.Errorf("log size %d, want 1", n)
	}
}

func TestAuditLog(t *testing.T) {
	s := openMemory(t)
	ctx := context.Background()
	appendLog := func(entries []store.LogEntry, hashes []store.LogHash) error {
		_, err := s.Commit(ctx, nil, func(tx store.Tx, _ []error) error { return tx.AppendLog(entries, hashes) })
		return err
	}
	e := func(seq int64) store.LogEntry {
		return store.LogEntry{Seq: seq, ResourceID: "AuditEvent/" + string(rune('a'+seq)), Hash: []byte{byte(seq)}}
	}
	if err := appendLog([]store.LogEntry{e(0), e(1)}, []store.LogHash{{Index: 0, Hash: []byte{0}}, {Index: 1, Hash: []byte{1}}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		entries []store.LogEntry
		hashes  []store.LogHash
	}{
		{"sequence taken", []store.LogEntry{e(1)}, nil},
		{"gap", []store.LogEntry{e(3)}, nil},
		{"not contiguous", []store.LogEntry{e(2), e(4)}, nil},
		{"hash taken", []store.LogEntry{e(2)}, []store.LogHash{{Index: 1, Hash: []byte{9}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := appendLog(tt.entries, tt.hashes); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("append: %v, want ErrConflict", err)
			}
		})
	}
	if n, err := s.LogSize(ctx); err != nil || n != 2 {
		t.Fatalf("log size = %d, %v", n, err)
	}
	got, err := s.LogEntries(ctx, 1, 5)
	if err != nil || len(got) != 1 || got[0].Seq != 1 || got[0].ResourceID != "AuditEvent/b" || !bytes.Equal(got[0].Hash, []byte{1}) {
		t.Fatalf("entries = %+v, %v", got, err)
	}
	hashes, err := s.LogHashes(ctx, []int64{1, 0})
	if err != nil || !bytes.Equal(hashes[0], []byte{1}) || !bytes.Equal(hashes[1], []byte{0}) {
		t.Fatalf("hashes = %v, %v", hashes, err)
	}
	if _, err := s.LogHashes(ctx, []int64{7}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing hash: %v", err)
	}
}

func TestCommitConcurrent(t *testing.T) {
	s := openMemory(t)
	ctx := context.Background()
	const writers = 8
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Commit(ctx, []func(store.Tx) error{
				func(tx store.Tx) error { return tx.Put(version("Patient", "p", 1)) },
			}, func(tx store.Tx, _ []error) error {
				n, err := s.LogSize(ctx)
				if err != nil {
					return err
				}
				return tx.AppendLog([]store.LogEntry{{Seq: n, ResourceID: "AuditEvent/x", Hash: []byte{byte(w)}}}, nil)
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n, _ := s.LogSize(ctx); n != writers {
		t.Fatalf("log size %d, want %d", n, writers)
	}
	hist, err := s.History(ctx, store.HistoryQuery{Type: "Patient", ID: "p"})
	if err != nil || len(hist) != 1 {
		t.Fatalf("history = %d versions, %v; want 1", len(hist), err)
	}
}

func TestPingClose(t *testing.T) {
	s, err := Open(context.Background(), "lungo:memory", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(context.Background()); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("ping after close: %v, want ErrUnavailable", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

func TestFileStorePersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ehr.lungo")
	s, err := Open(context.Background(), "lungo:"+path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, version("Patient", "a", 1))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(context.Background(), "lungo:"+path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Read(context.Background(), "Patient", "a")
	if err != nil || r.VersionID != 1 {
		t.Fatalf("read after reopen = %+v, %v", r, err)
	}
}

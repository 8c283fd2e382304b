package sqlite

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clinic/ehr/internal/store"
	"github.com/clinic/ehr/internal/store/storetest"
)

func TestOpenOptions(t *testing.T) {
	cases := []struct {
		name    string
		path    string
		opts    Options
		wantErr bool
	}{
		{"Defaults", "ehr.db", Options{}, false},
		{"CreatesParentDirectories", "a/b/c/ehr.db", Options{}, false},
		{"Normal", "ehr.db", Options{Synchronous: "normal", BusyTimeout: time.Second, ReadConns: 2}, false},
		{"UnknownSynchronous", "ehr.db", Options{Synchronous: "OFF"}, true},
		{"PragmaInSynchronous", "ehr.db", Options{Synchronous: "FULL); PRAGMA query_only(1"}, true},
		{"QueryInPath", "ehr.db?mode=ro", Options{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Open(filepath.Join(t.TempDir(), c.path), c.opts)
			if c.wantErr {
				if err == nil {
					s.Close()
					t.Fatal("Open succeeded")
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			if err := s.Ping(t.Context()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
		})
	}
}

func TestOpenPragmas(t *testing.T) {
	s := openTest(t)
	want := map[string]string{"journal_mode": "wal", "foreign_keys": "0", "synchronous": "2", "query_only": "0", "temp_store": "2", "busy_timeout": "5000", "cache_size": "-32768"}
	for pragma, v := range want {
		var got string
		if err := s.writer.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != v {
			t.Errorf("writer PRAGMA %s = %s, want %s", pragma, got, v)
		}
	}
	var queryOnly string
	if err := s.readers.QueryRow("PRAGMA query_only").Scan(&queryOnly); err != nil || queryOnly != "1" {
		t.Errorf("reader PRAGMA query_only = %s, %v; want 1", queryOnly, err)
	}
	if _, err := s.readers.Exec("DELETE FROM audit_log"); err == nil {
		t.Error("a reader connection wrote")
	}
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ehr.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	storetest.Put(t, s, storetest.Version("Patient", "p1", 1))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.Read(t.Context(), "Patient", "p1"); err != nil {
		t.Fatalf("read after reopen: %v", err)
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var version int
	if err := s.DB().QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != len(files) {
		t.Fatalf("user_version = %d, %v; want %d (one per migration)", version, err, len(files))
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ehr.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(path, Options{}); err == nil {
		s.Close()
		t.Fatal("opened a database from a newer program")
	}
}

func TestPing(t *testing.T) {
	t.Run("Writable", func(t *testing.T) {
		if err := openTest(t).Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("QueryOnlyWriter", func(t *testing.T) {
		s := openTest(t)
		if _, err := s.DB().Exec("PRAGMA query_only = 1"); err != nil {
			t.Fatal(err)
		}
		if err := s.Ping(t.Context()); !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("Ping = %v, want ErrUnavailable", err)
		}
	})
	t.Run("ReadOnlyFile", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes read-only files")
		}
		path := filepath.Join(t.TempDir(), "ehr.db")
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		if err := os.Chmod(path, 0o444); err != nil {
			t.Fatal(err)
		}
		s, err = Open(path, Options{})
		if err != nil {
			return // refusing to open is as good
		}
		defer s.Close()
		if err := s.Ping(t.Context()); err == nil {
			t.Fatal("Ping succeeded on a read-only file")
		}
	})
	t.Run("WaitsForCommitOrContext", func(t *testing.T) {
		s := openTest(t)
		inCommit, release, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			s.Commit(context.Background(), []func(store.Tx) error{func(store.Tx) error {
				close(inCommit)
				<-release
				return nil
			}}, nil)
		}()
		defer func() { close(release); <-done }()
		<-inCommit
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		if err := s.Ping(ctx); !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("Ping during a stuck commit = %v, want the deadline as ErrUnavailable", err)
		}
	})
}

// TestCommitErrors checks the errors Commit returns as a whole.
func TestCommitErrors(t *testing.T) {
	s := openTest(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.Commit(ctx, nil, nil)
	if !errors.Is(err, store.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("canceled Commit = %v, want ErrUnavailable wrapping context.Canceled", err)
	}
	errAudit := errors.New("audit sink down")
	_, err = s.Commit(t.Context(), nil, func(store.Tx, []error) error { return errAudit })
	if !errors.Is(err, store.ErrUnavailable) || !errors.Is(err, errAudit) {
		t.Errorf("Commit with failing finish = %v, want ErrUnavailable wrapping the finish error", err)
	}
	_, err = s.Commit(t.Context(), nil, func(tx store.Tx, _ []error) error {
		return tx.AppendLog([]store.LogEntry{{Seq: 3}}, nil)
	})
	if !errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Commit with a log conflict = %v, want ErrConflict alone", err)
	}
	results, err := s.Commit(t.Context(), []func(store.Tx) error{func(tx store.Tx) error {
		return tx.Put(store.Write{Resource: store.Resource{Type: "Patient", VersionID: 1}})
	}}, nil)
	if err != nil || results[0] == nil {
		t.Errorf("Put without an id = %v, %v; want the unit to fail", results, err)
	}
}

// TestTamperIsVisible shows what the audit tamper tests rely on: a row
// changed through DB() is what the log readers then return.
func TestTamperIsVisible(t *testing.T) {
	s := openTest(t)
	_, err := s.Commit(t.Context(), nil, func(tx store.Tx, _ []error) error {
		return tx.AppendLog([]store.LogEntry{{Seq: 0, ResourceID: "ev0", Hash: []byte("good")}}, []store.LogHash{{Index: 0, Hash: []byte("good")}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec("UPDATE audit_log SET hash = ? WHERE seq = 0", []byte("evil")); err != nil {
		t.Fatal(err)
	}
	es, err := s.LogEntries(t.Context(), 0, 1)
	if err != nil || string(es[0].Hash) != "evil" {
		t.Fatalf("LogEntries after tampering = %v, %v", es, err)
	}
}

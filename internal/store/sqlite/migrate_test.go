package sqlite

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/clinic/ehr/internal/store"
)

// TestMigrateLeanVersions opens a database written by the schema before
// 0003 (every version in history, sort values in sortkey rows) and checks
// that its data reads, pages and sorts the same afterwards.
func TestMigrateLeanVersions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"migrations/0001_init.sql", "migrations/0002_composite_quantity.sql"} {
		body, err := fs.ReadFile(migrations, name)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, db, string(body))
	}
	mustExec(t, db, "PRAGMA user_version = 2")
	// p1 has two versions (v2 current), p2 one, p3 is deleted (v2 a marker).
	mustExec(t, db, `INSERT INTO resource (rowid, type, id, vid, updated, deleted, body) VALUES
		(1, 'Patient', 'p1', 2, 2000, 0, '{"v":2}'),
		(2, 'Patient', 'p2', 1, 1000, 0, '{"v":1}'),
		(3, 'Patient', 'p3', 2, 3000, 1, '')`)
	mustExec(t, db, `INSERT INTO history (type, id, vid, updated, deleted, body) VALUES
		('Patient', 'p1', 1, 1000, 0, '{"v":1}'), ('Patient', 'p1', 2, 2000, 0, '{"v":2}'),
		('Patient', 'p2', 1, 1000, 0, '{"v":1}'),
		('Patient', 'p3', 1, 1500, 0, '{"v":1}'), ('Patient', 'p3', 2, 3000, 1, '')`)
	mustExec(t, db, `INSERT INTO sortkey (res, p, v) VALUES (1, 'family', 'zed'), (1, 'birthdate', 5.0), (2, 'family', 'abe')`)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("open the old database: %v", err)
	}
	defer s.Close()
	var dupes int
	if err := s.DB().QueryRow(`SELECT count(*) FROM history h JOIN resource r ON r.type = h.type AND r.id = h.id AND r.vid = h.vid`).Scan(&dupes); err != nil || dupes != 0 {
		t.Fatalf("current versions left in history: %d, %v", dupes, err)
	}
	ctx := t.Context()
	for _, v := range []struct {
		id   string
		vid  int64
		body string
	}{{"p1", 1, `{"v":1}`}, {"p1", 2, `{"v":2}`}, {"p2", 1, `{"v":1}`}, {"p3", 1, `{"v":1}`}} {
		r, err := s.ReadVersion(ctx, "Patient", v.id, v.vid)
		if err != nil || string(r.Body) != v.body {
			t.Errorf("ReadVersion(%s, %d) = %v, %v; want %s", v.id, v.vid, r, err, v.body)
		}
	}
	h, err := s.History(ctx, store.HistoryQuery{Type: "Patient", ID: "p3"})
	if err != nil || len(h) != 2 || !h[0].Deleted || h[1].VersionID != 1 {
		t.Errorf("History(p3) = %v, %v; want the marker then version 1", h, err)
	}
	res, err := s.Search(ctx, &store.Query{Type: "Patient", Sort: []store.SortKey{{Param: "family"}}, Count: 10})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range res.Resources {
		ids = append(ids, r.ID)
	}
	if len(ids) != 2 || ids[0] != "p2" || ids[1] != "p1" {
		t.Errorf("sorted by family: %v, want [p2 p1]", ids)
	}
	// A later version still archives the migrated current one.
	_, err = s.Commit(ctx, []func(store.Tx) error{func(tx store.Tx) error {
		return tx.Put(store.Write{Resource: store.Resource{Type: "Patient", ID: "p2", VersionID: 2, LastUpdated: time.UnixMilli(4000), Body: []byte(`{"v":2}`)}})
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := s.ReadVersion(ctx, "Patient", "p2", 1); err != nil || string(r.Body) != `{"v":1}` {
		t.Errorf("p2 version 1 after an update = %v, %v", r, err)
	}
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

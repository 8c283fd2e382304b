package audit

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/clinic/ehr/internal/store"
)

// storeWithDB is a store whose rows a test can tamper with directly.
type storeWithDB interface {
	store.Store
	DB() *sql.DB
}

func exec(t *testing.T, st storeWithDB, query string, args ...any) {
	t.Helper()
	if _, err := st.DB().Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func logRow(t *testing.T, st storeWithDB, seq int64) (rid string, hash []byte) {
	t.Helper()
	err := st.DB().QueryRow(`SELECT rid, hash FROM audit_log WHERE seq = ?`, seq).Scan(&rid, &hash)
	if err != nil {
		t.Fatalf("read log row %d: %v", seq, err)
	}
	return rid, hash
}

// setBody rewrites both stored copies of the body of record seq: the log's
// and its AuditEvent's.
func setBody(t *testing.T, st storeWithDB, seq int64, edit func([]byte) []byte) {
	t.Helper()
	body := edit(logBody(t, st, seq))
	rid, _ := logRow(t, st, seq)
	exec(t, st, `UPDATE audit_log SET body = ? WHERE seq = ?`, body, seq)
	exec(t, st, `UPDATE resource SET body = ? WHERE type = 'AuditEvent' AND id = ?`, body, rid)
}

func logBody(t *testing.T, st storeWithDB, seq int64) []byte {
	t.Helper()
	var body []byte
	if err := st.DB().QueryRow(`SELECT body FROM audit_log WHERE seq = ?`, seq).Scan(&body); err != nil {
		t.Fatalf("read log body %d: %v", seq, err)
	}
	return body
}

// unproject deletes the AuditEvents of records seq… as if the server had
// stopped before writing them (projection.go).
func unproject(t *testing.T, st storeWithDB, seq int64) {
	t.Helper()
	const ids = `SELECT rid FROM audit_log WHERE seq >= ?`
	exec(t, st, `DELETE FROM idx WHERE res IN (SELECT rowid FROM resource WHERE type = 'AuditEvent' AND id IN (`+ids+`))`, seq)
	exec(t, st, `DELETE FROM resource WHERE type = 'AuditEvent' AND id IN (`+ids+`)`, seq)
}

func flipByte(body []byte) []byte {
	body[len(body)/2] ^= 0x01
	return body
}

func swapRows(t *testing.T, st storeWithDB, i, j int64) {
	t.Helper()
	ridI, hashI := logRow(t, st, i)
	ridJ, hashJ := logRow(t, st, j)
	bodyI, bodyJ := logBody(t, st, i), logBody(t, st, j)
	exec(t, st, `UPDATE audit_log SET rid = ?, hash = ?, body = ? WHERE seq = ?`, ridJ, hashJ, bodyJ, i)
	exec(t, st, `UPDATE audit_log SET rid = ?, hash = ?, body = ? WHERE seq = ?`, ridI, hashI, bodyI, j)
}

// insertRow shifts records seq… up by one and replays record 0 at seq.
func insertRow(t *testing.T, st storeWithDB, seq int64) {
	t.Helper()
	exec(t, st, `UPDATE audit_log SET seq = -seq - 1 WHERE seq >= ?`, seq) // negative: no key clash
	exec(t, st, `UPDATE audit_log SET seq = -seq WHERE seq < 0`)
	exec(t, st, `INSERT INTO audit_log (seq, rid, hash, body) SELECT ?, rid, hash, body FROM audit_log WHERE seq = 0`, seq)
}

// truncate removes records from seq on, with the tree hashes they stored.
func truncate(t *testing.T, st storeWithDB, seq int64) {
	t.Helper()
	exec(t, st, `DELETE FROM audit_log WHERE seq >= ?`, seq)
	exec(t, st, `DELETE FROM audit_hash WHERE idx >= ?`, tlog.StoredHashIndex(0, seq))
}

// rebuildTree recomputes every leaf and tree hash from the bodies, as an
// attacker with write access would after editing a record: the log is then
// consistent with itself, and only an older checkpoint shows the rewrite.
func rebuildTree(t *testing.T, st storeWithDB) {
	t.Helper()
	n := logSize(t, st)
	hashes := map[int64]tlog.Hash{}
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	exec(t, st, `DELETE FROM audit_hash`)
	for seq := range n {
		leaf := leafOf(t, st, seq)
		exec(t, st, `UPDATE audit_log SET hash = ? WHERE seq = ?`, leaf[:], seq)
		stored, err := tlog.StoredHashesForRecordHash(seq, leaf, reader)
		if err != nil {
			t.Fatal(err)
		}
		for i, h := range stored {
			idx := tlog.StoredHashIndex(0, seq) + int64(i)
			hashes[idx] = h
			exec(t, st, `INSERT INTO audit_hash (idx, hash) VALUES (?, ?)`, idx, h[:])
		}
	}
}

// newTamperLog is a closed recorder's log of 20 records.
func newTamperLog(t *testing.T) storeWithDB {
	t.Helper()
	st := openStore(t)
	r := startRecorder(t, st, Options{})
	record(t, r, 20)
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, st)
	return st
}

func TestVerifyFindsTampering(t *testing.T) {
	runTamperCases(t, newTamperLog, []tamperCase[storeWithDB]{
		{"body byte altered", func(t *testing.T, st storeWithDB) { setBody(t, st, 7, flipByte) }, 7},
		{"AuditEvent altered, log copy intact", func(t *testing.T, st storeWithDB) {
			rid, _ := logRow(t, st, 8)
			exec(t, st, `UPDATE resource SET body = ? WHERE type = 'AuditEvent' AND id = ?`, flipByte(logBody(t, st, 8)), rid)
		}, 8},
		{"log copy altered, AuditEvent intact", func(t *testing.T, st storeWithDB) {
			exec(t, st, `UPDATE audit_log SET body = ? WHERE seq = 9`, flipByte(logBody(t, st, 9)))
		}, 9},
		{"records not yet projected", func(t *testing.T, st storeWithDB) { unproject(t, st, 16) }, -1},
		{"log copy of a record not yet projected altered", func(t *testing.T, st storeWithDB) {
			unproject(t, st, 16)
			exec(t, st, `UPDATE audit_log SET body = ? WHERE seq = 17`, flipByte(logBody(t, st, 17)))
		}, 17},
		{"AuditEvent deleted before one that is projected", func(t *testing.T, st storeWithDB) {
			unproject(t, st, 16)
			rid, _ := logRow(t, st, 12)
			exec(t, st, `DELETE FROM resource WHERE type = 'AuditEvent' AND id = ?`, rid)
		}, 12},
		{"body altered and its leaf hash updated", func(t *testing.T, st storeWithDB) {
			setBody(t, st, 6, flipByte)
			leaf := leafOf(t, st, 6)
			exec(t, st, `UPDATE audit_log SET hash = ? WHERE seq = 6`, leaf[:])
		}, 6},
		{"log row removed", func(t *testing.T, st storeWithDB) { exec(t, st, `DELETE FROM audit_log WHERE seq = 5`) }, 5},
		{"first log row removed", func(t *testing.T, st storeWithDB) { exec(t, st, `DELETE FROM audit_log WHERE seq = 0`) }, 0},
		{"log row inserted", func(t *testing.T, st storeWithDB) { insertRow(t, st, 9) }, 9},
		{"rows swapped", func(t *testing.T, st storeWithDB) { swapRows(t, st, 3, 12) }, 3},
		{"adjacent rows swapped", func(t *testing.T, st storeWithDB) { swapRows(t, st, 14, 15) }, 14},
		{"AuditEvent deleted", func(t *testing.T, st storeWithDB) {
			rid, _ := logRow(t, st, 4)
			exec(t, st, `DELETE FROM resource WHERE type = 'AuditEvent' AND id = ?`, rid)
		}, 4},
		{"tree hash altered", func(t *testing.T, st storeWithDB) {
			exec(t, st, `UPDATE audit_hash SET hash = zeroblob(32) WHERE idx = ?`, tlog.StoredHashIndex(0, 11))
		}, 11},
		{"tree hash removed", func(t *testing.T, st storeWithDB) {
			exec(t, st, `DELETE FROM audit_hash WHERE idx = ?`, tlog.StoredHashIndex(0, 13)+1)
		}, 13},
	})
}

func TestVerifyAgainstCheckpoint(t *testing.T) {
	runCheckpointCases(t, newTamperLog, []checkpointCase[storeWithDB]{
		{name: "log grew", change: func(t *testing.T, st storeWithDB) {
			record(t, startRecorder(t, st, Options{}), 5)
		}, wantBad: -1, selfGood: true},
		{name: "log truncated", change: func(t *testing.T, st storeWithDB) { truncate(t, st, 15) }, wantBad: 15, selfGood: true},
		{name: "record edited and tree rebuilt", change: func(t *testing.T, st storeWithDB) {
			setBody(t, st, 2, flipByte)
			rebuildTree(t, st)
		}, wantBad: 0, selfGood: true},
		{name: "tail replaced by new records", change: func(t *testing.T, st storeWithDB) {
			truncate(t, st, 15)
			record(t, startRecorder(t, st, Options{}), 5)
		}, wantBad: 0, selfGood: true},
	})
}

func TestVerifyRejectsAForeignCheckpoint(t *testing.T) {
	st := newTamperLog(t)
	signer, _ := testKeys(t)
	_, otherVerifier := testKeys(t)
	cp, err := Checkpoint(context.Background(), st, signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(context.Background(), st, cp, otherVerifier); !errors.Is(err, ErrBadCheckpoint) {
		t.Fatalf("Verify with another key = %v, want ErrBadCheckpoint", err)
	}
}

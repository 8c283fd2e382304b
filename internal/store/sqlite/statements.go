package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// The hot paths run as prepared statements; database/sql prepares each one
// again on every pooled connection that needs it.
const (
	sqlCurrent     = `SELECT rowid, vid FROM resource WHERE type = ? AND id = ?`
	sqlReadCurrent = `SELECT vid, updated, deleted, body FROM resource WHERE type = ? AND id = ?`
	// The current version is in resource, superseded ones in history.
	sqlReadVersion = `SELECT updated, deleted, body FROM resource WHERE type = ?1 AND id = ?2 AND vid = ?3
		UNION ALL SELECT updated, deleted, body FROM history WHERE type = ?1 AND id = ?2 AND vid = ?3`
	sqlExists  = `SELECT EXISTS (SELECT 1 FROM resource WHERE type = ? AND id = ?)`
	sqlHistory = `SELECT vid, updated, deleted, body FROM (
			SELECT vid, updated, deleted, body FROM resource WHERE type = ?1 AND id = ?2
			UNION ALL SELECT vid, updated, deleted, body FROM history WHERE type = ?1 AND id = ?2)
		WHERE vid < ?3 AND updated >= ?4 ORDER BY vid DESC LIMIT ?5`
	sqlInsertRes = `INSERT INTO resource (type, id, vid, updated, deleted, body, sorts) VALUES (?, ?, ?, ?, ?, ?, jsonb(?))`
	sqlUpdateRes = `UPDATE resource SET vid = ?, updated = ?, deleted = ?, body = ?, sorts = jsonb(?) WHERE rowid = ? AND vid = ?`
	// sqlArchive copies the current version into history before an update
	// replaces it.
	sqlArchive     = `INSERT INTO history (type, id, vid, updated, deleted, body) SELECT type, id, vid, updated, deleted, body FROM resource WHERE rowid = ?`
	sqlDeleteIndex = `DELETE FROM idx WHERE res = ?`
	sqlLogSize     = `SELECT COALESCE(MAX(seq) + 1, 0) FROM audit_log`
	sqlLogEntries  = `SELECT seq, rid, hash, body FROM audit_log WHERE seq >= ? AND seq < ? ORDER BY seq`
	sqlLogHash     = `SELECT hash FROM audit_hash WHERE idx = ?`
)

// Index entries, log entries and tree hashes are inserted many rows per
// statement: the writer's time goes on per-statement overhead otherwise.
// rowChunks are the prepared row counts, largest first.
var rowChunks = []int{64, 16, 4, 1}

var (
	idxInsert  = multiInsert{head: `INSERT INTO idx (res, p, n, s, c, t, lo, hi, u, us, clo, chi, cu) VALUES `, cols: 13}
	logInsert  = multiInsert{head: `INSERT INTO audit_log (seq, rid, hash, body) VALUES `, cols: 4}
	hashInsert = multiInsert{head: `INSERT INTO audit_hash (idx, hash) VALUES `, cols: 2}
)

// multiInsert is an INSERT of rows of cols values.
type multiInsert struct {
	head string
	cols int
}

func (m multiInsert) sql(rows int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", m.cols), ", ") + ")"
	return m.head + strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
}

// chunkStmts holds one prepared statement per entry of rowChunks.
type chunkStmts [4]*sql.Stmt

func (c *chunkStmts) defs(m multiInsert) []stmtDef {
	out := make([]stmtDef, len(rowChunks))
	for i, n := range rowChunks {
		out[i] = stmtDef{&c[i], m.sql(n)}
	}
	return out
}

// writeStmts are prepared on the writer and used inside Commit.
type writeStmts struct {
	current, readCurrent          *sql.Stmt
	insertRes, updateRes, archive *sql.Stmt
	deleteIndex, logSize          *sql.Stmt
	insertIndex, insertLog        chunkStmts
	insertHash                    chunkStmts
}

func (w *writeStmts) defs() []stmtDef {
	defs := []stmtDef{
		{&w.current, sqlCurrent}, {&w.readCurrent, sqlReadCurrent},
		{&w.insertRes, sqlInsertRes}, {&w.updateRes, sqlUpdateRes}, {&w.archive, sqlArchive},
		{&w.deleteIndex, sqlDeleteIndex}, {&w.logSize, sqlLogSize},
	}
	defs = append(defs, w.insertIndex.defs(idxInsert)...)
	defs = append(defs, w.insertLog.defs(logInsert)...)
	return append(defs, w.insertHash.defs(hashInsert)...)
}

func (w *writeStmts) prepare(ctx context.Context, db *sql.DB) error {
	return prepareAll(ctx, db, w.defs())
}
func (w *writeStmts) close() { closeAll(w.defs()) }

// readStmts are prepared on the read pool.
type readStmts struct {
	readCurrent, readVersion, exists, history *sql.Stmt
	logSize, logEntries, logHash              *sql.Stmt
}

func (r *readStmts) defs() []stmtDef {
	return []stmtDef{
		{&r.readCurrent, sqlReadCurrent}, {&r.readVersion, sqlReadVersion},
		{&r.exists, sqlExists}, {&r.history, sqlHistory},
		{&r.logSize, sqlLogSize}, {&r.logEntries, sqlLogEntries}, {&r.logHash, sqlLogHash},
	}
}

func (r *readStmts) prepare(ctx context.Context, db *sql.DB) error {
	return prepareAll(ctx, db, r.defs())
}
func (r *readStmts) close() { closeAll(r.defs()) }

type stmtDef struct {
	stmt **sql.Stmt
	sql  string
}

func prepareAll(ctx context.Context, db *sql.DB, defs []stmtDef) error {
	for _, d := range defs {
		st, err := db.PrepareContext(ctx, d.sql)
		if err != nil {
			return fmt.Errorf("sqlite: prepare %q: %w", d.sql, err)
		}
		*d.stmt = st
	}
	return nil
}

func closeAll(defs []stmtDef) {
	for _, d := range defs {
		if *d.stmt != nil {
			(*d.stmt).Close()
		}
	}
}

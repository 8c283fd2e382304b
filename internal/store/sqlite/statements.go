package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// The hot paths run as prepared statements; database/sql prepares each one
// again on every pooled connection that needs it.
const (
	sqlCurrent     = `SELECT rowid, vid FROM resource WHERE type = ? AND id = ?`
	sqlReadCurrent = `SELECT vid, updated, deleted, body FROM resource WHERE type = ? AND id = ?`
	sqlReadVersion = `SELECT updated, deleted, body FROM history WHERE type = ? AND id = ? AND vid = ?`
	sqlExists      = `SELECT EXISTS (SELECT 1 FROM resource WHERE type = ? AND id = ?)`
	sqlHistory     = `SELECT vid, updated, deleted, body FROM history WHERE type = ? AND id = ? AND vid < ? AND updated >= ? ORDER BY vid DESC LIMIT ?`
	sqlInsertRes   = `INSERT INTO resource (type, id, vid, updated, deleted, body) VALUES (?, ?, ?, ?, ?, ?)`
	sqlUpdateRes   = `UPDATE resource SET vid = ?, updated = ?, deleted = ?, body = ? WHERE rowid = ? AND vid = ?`
	sqlInsertHist  = `INSERT INTO history (type, id, vid, updated, deleted, body) VALUES (?, ?, ?, ?, ?, ?)`
	sqlDeleteIndex = `DELETE FROM idx WHERE res = ?`
	sqlInsertIndex = `INSERT INTO idx (res, p, s, c, t, lo, hi, u, us, clo, chi, cu) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlDeleteSort  = `DELETE FROM sortkey WHERE res = ?`
	sqlInsertSort  = `INSERT INTO sortkey (res, p, v) VALUES (?, ?, ?)`
	sqlLogSize     = `SELECT COALESCE(MAX(seq) + 1, 0) FROM audit_log`
	sqlLogEntries  = `SELECT seq, rid, hash FROM audit_log WHERE seq >= ? AND seq < ? ORDER BY seq`
	sqlInsertLog   = `INSERT INTO audit_log (seq, rid, hash) VALUES (?, ?, ?)`
	sqlLogHash     = `SELECT hash FROM audit_hash WHERE idx = ?`
	sqlInsertHash  = `INSERT INTO audit_hash (idx, hash) VALUES (?, ?)`
)

// writeStmts are prepared on the writer and used inside Commit.
type writeStmts struct {
	current, readCurrent             *sql.Stmt
	insertRes, updateRes, insertHist *sql.Stmt
	deleteIndex, insertIndex         *sql.Stmt
	deleteSort, insertSort           *sql.Stmt
	logSize, insertLog, insertHash   *sql.Stmt
}

func (w *writeStmts) defs() []stmtDef {
	return []stmtDef{
		{&w.current, sqlCurrent}, {&w.readCurrent, sqlReadCurrent},
		{&w.insertRes, sqlInsertRes}, {&w.updateRes, sqlUpdateRes}, {&w.insertHist, sqlInsertHist},
		{&w.deleteIndex, sqlDeleteIndex}, {&w.insertIndex, sqlInsertIndex},
		{&w.deleteSort, sqlDeleteSort}, {&w.insertSort, sqlInsertSort},
		{&w.logSize, sqlLogSize}, {&w.insertLog, sqlInsertLog}, {&w.insertHash, sqlInsertHash},
	}
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

package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/clinic/ehr/internal/store"
)

// current returns the row and version of a resource's current version, or
// zeros when it does not exist.
func (c *commit) current(k resKey) (rowid, vid int64, err error) {
	err = c.stmt(c.ws.current).QueryRowContext(c.ctx, k.typ, k.id).Scan(&rowid, &vid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, unavailable(fmt.Sprintf("read version of %s/%s", k.typ, k.id), err)
	}
	return rowid, vid, nil
}

// applyWrite stores one version: the current row (the previous version
// moves to history), and for a live version its sort values. Its index
// entries are appended to rows, for the caller to insert with the rest of the
// unit's.
func (c *commit) applyWrite(w store.Write, rows *[]any) error {
	r := w.Resource
	op := fmt.Sprintf("put %s/%s/_history/%d", r.Type, r.ID, r.VersionID)
	rowid, vid, err := c.current(resKey{r.Type, r.ID})
	if err != nil {
		return err
	}
	if r.VersionID != vid+1 {
		return conflict("%s: version %d does not follow %d", op, r.VersionID, vid)
	}
	body := r.Body
	if r.Deleted || body == nil {
		body = []byte{} // a marker has no body; NOT NULL wants a value
	}
	var sorts any // NULL for a marker
	if !r.Deleted {
		if sorts, err = sortsJSON(w.Sort); err != nil {
			return fmt.Errorf("sqlite: %s: %w", op, err)
		}
	}
	updated := millis(r.LastUpdated)

	if vid == 0 {
		res, err := c.stmt(c.ws.insertRes).ExecContext(c.ctx, r.Type, r.ID, r.VersionID, updated, r.Deleted, body, sorts)
		if err != nil {
			return writeError(op, err)
		}
		if rowid, err = res.LastInsertId(); err != nil {
			return unavailable(op, err)
		}
	} else {
		if err := c.exec(op, c.ws.archive, rowid); err != nil {
			return err
		}
		res, err := c.stmt(c.ws.updateRes).ExecContext(c.ctx, r.VersionID, updated, r.Deleted, body, sorts, rowid, vid)
		if err != nil {
			return writeError(op, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return unavailable(op, err)
		}
		if n != 1 {
			return conflict("%s: current version changed", op)
		}
		if err := c.exec(op, c.ws.deleteIndex, rowid); err != nil {
			return err
		}
	}
	if r.Deleted {
		return nil
	}
	// Before the entries are in the table: a search that can see them must
	// find their shape covered (rangestats.go).
	c.cache.stats.observe(w.Index)
	for n, e := range w.Index {
		if e.Param == "" {
			return fmt.Errorf("sqlite: %s: index entry without a parameter", op)
		}
		*rows = append(*rows, rowid, e.Param, n, e.System, e.Code, e.Text,
			nullable(e.Lo), nullable(e.Hi), e.Unit, e.UnitSystem, nullable(e.CLo), nullable(e.CHi), e.CUnit)
	}
	return nil
}

// sortsJSON encodes a version's sort values as one JSON object (stored as
// JSONB), or nil when it has none. A parameter without a value is left out:
// the resource sorts last for it.
func sortsJSON(values map[string]any) (any, error) {
	obj := make(map[string]any, len(values))
	for p, v := range values {
		v, err := sortValue(v)
		if err != nil {
			return nil, fmt.Errorf("sort value of %s: %w", p, err)
		}
		if v != nil {
			obj[p] = v
		}
	}
	if len(obj) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(obj) // keys sorted: the same values store the same bytes
	if err != nil {
		return nil, fmt.Errorf("encode sort values: %w", err)
	}
	return string(b), nil
}

// logSize is LogSize inside the commit's transaction.
func (c *commit) logSize() (int64, error) {
	var n int64
	if err := c.stmt(c.ws.logSize).QueryRowContext(c.ctx).Scan(&n); err != nil {
		return 0, unavailable("log size", err)
	}
	return n, nil
}

// applyLog appends entries, which must continue the log, and stores hashes,
// which must be new.
func (c *commit) applyLog(entries []store.LogEntry, hashes []store.LogHash) error {
	if len(entries) > 0 {
		n, err := c.logSize()
		if err != nil {
			return err
		}
		if entries[0].Seq != n {
			return conflict("append log at %d: log has %d entries", entries[0].Seq, n)
		}
	}
	rows := make([]any, 0, logInsert.cols*len(entries))
	for _, e := range entries {
		rows = append(rows, e.Seq, e.ResourceID, e.Hash, e.Body)
	}
	if err := c.insertRows("append log", &c.ws.insertLog, logInsert.cols, rows); err != nil {
		return err
	}
	rows = make([]any, 0, 2*len(hashes))
	for _, h := range hashes {
		rows = append(rows, h.Index, h.Hash)
	}
	return c.insertRows("store log hash", &c.ws.insertHash, hashInsert.cols, rows)
}

// insertRows inserts rows (cols values each, flattened) through the largest
// prepared multi-row statements that fit.
func (c *commit) insertRows(op string, stmts *chunkStmts, cols int, rows []any) error {
	for i, n := range rowChunks {
		for len(rows) >= n*cols {
			if err := c.exec(op, stmts[i], rows[:n*cols]...); err != nil {
				return err
			}
			rows = rows[n*cols:]
		}
	}
	return nil
}

func (c *commit) exec(op string, s *sql.Stmt, args ...any) error {
	if _, err := c.stmt(s).ExecContext(c.ctx, args...); err != nil {
		return writeError(op, err)
	}
	return nil
}

// writeError reports a duplicate key as a conflict and anything else as an
// outage.
func writeError(op string, err error) error {
	if isConstraint(err) {
		return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrConflict, err)
	}
	return unavailable(op, err)
}

func nullable(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// sortValue checks a Write.Sort value: strings sort as text, numbers as REAL.
func sortValue(v any) (any, error) {
	switch v := v.(type) {
	case nil, string, float64:
		return v, nil
	case float32:
		return float64(v), nil
	case int:
		return float64(v), nil
	case int64:
		return float64(v), nil
	default:
		return nil, fmt.Errorf("unsupported type %T", v)
	}
}

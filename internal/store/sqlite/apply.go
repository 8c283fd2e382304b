package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"sort"

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

// applyWrite stores one version: the current row, the history row, and for a
// live version its index entries and sort values, replacing the previous
// version's.
func (c *commit) applyWrite(w store.Write) error {
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
	updated := millis(r.LastUpdated)

	if vid == 0 {
		res, err := c.stmt(c.ws.insertRes).ExecContext(c.ctx, r.Type, r.ID, r.VersionID, updated, r.Deleted, body)
		if err != nil {
			return writeError(op, err)
		}
		if rowid, err = res.LastInsertId(); err != nil {
			return unavailable(op, err)
		}
	} else {
		res, err := c.stmt(c.ws.updateRes).ExecContext(c.ctx, r.VersionID, updated, r.Deleted, body, rowid, vid)
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
		if err := c.exec(op, c.ws.deleteSort, rowid); err != nil {
			return err
		}
	}
	if err := c.exec(op, c.ws.insertHist, r.Type, r.ID, r.VersionID, updated, r.Deleted, body); err != nil {
		return err
	}
	if r.Deleted {
		return nil
	}
	if err := c.insertIndex(op, rowid, w.Index); err != nil {
		return err
	}
	return c.insertSort(op, rowid, w.Sort)
}

func (c *commit) insertIndex(op string, rowid int64, entries []store.IndexEntry) error {
	for _, e := range entries {
		if e.Param == "" {
			return fmt.Errorf("sqlite: %s: index entry without a parameter", op)
		}
		err := c.exec(op, c.ws.insertIndex, rowid, e.Param, e.System, e.Code, e.Text,
			nullable(e.Lo), nullable(e.Hi), e.Unit, e.UnitSystem, nullable(e.CLo), nullable(e.CHi), e.CUnit)
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *commit) insertSort(op string, rowid int64, values map[string]any) error {
	params := make([]string, 0, len(values))
	for p := range values {
		params = append(params, p)
	}
	sort.Strings(params) // a stable order makes failures reproducible
	for _, p := range params {
		v, err := sortValue(values[p])
		if err != nil {
			return fmt.Errorf("sqlite: %s: sort value of %s: %w", op, p, err)
		}
		if v == nil {
			continue // no value: the resource sorts last for p
		}
		if err := c.exec(op, c.ws.insertSort, rowid, p, v); err != nil {
			return err
		}
	}
	return nil
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
	for _, e := range entries {
		if err := c.exec("append log", c.ws.insertLog, e.Seq, e.ResourceID, e.Hash); err != nil {
			return err
		}
	}
	for _, h := range hashes {
		if err := c.exec("store log hash", c.ws.insertHash, h.Index, h.Hash); err != nil {
			return err
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

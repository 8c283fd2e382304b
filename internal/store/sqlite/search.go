package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/clinic/ehr/internal/store"
)

// queryer is what a search needs: the read pool's transaction, or a
// commit's, and the store's range statistics.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	rangeStats() *rangeStats
}

// Search runs a query in one read transaction, so that the page, the total
// and the link probes all see the same snapshot.
func (s *Store) Search(ctx context.Context, q *store.Query) (*store.SearchResult, error) {
	tx, err := s.readers.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, unavailable("search", err)
	}
	defer tx.Rollback() // read-only: nothing to commit
	return runSearch(ctx, cachedTx{tx: tx, cache: s.readCache}, q)
}

func runSearch(ctx context.Context, db queryer, q *store.Query) (*store.SearchResult, error) {
	if err := checkQuery(q); err != nil {
		return nil, err
	}
	op := "search " + q.Type
	p, err := newPlan(q, &searchShapes{ctx: ctx, db: db, stats: db.rangeStats()})
	switch {
	case errors.Is(err, store.ErrUnavailable):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	res := &store.SearchResult{Total: -1}
	if q.Total {
		text, args := p.countSQL()
		if err := db.QueryRowContext(ctx, text, args...).Scan(&res.Total); err != nil {
			return nil, unavailable(op, err)
		}
	}
	if q.Count == 0 {
		return res, nil
	}

	cur, back := q.After, false
	if q.Before != nil {
		cur, back = q.Before, true
	}
	hits, err := fetchPage(ctx, db, op, p, cur, back, q.Count+1)
	if err != nil {
		return nil, err
	}
	more := len(hits) > q.Count // one row beyond the page, in the walking direction
	if more {
		hits = hits[:q.Count]
	}
	if len(hits) == 0 {
		return res, nil
	}
	if back {
		slices.Reverse(hits)
	}
	for _, h := range hits {
		h.res.Type = q.Type
		res.Resources = append(res.Resources, h.res)
	}

	first, last := hits[0].cursor(), hits[len(hits)-1].cursor()
	if back {
		if more {
			res.Prev = first
		}
		if res.Next, err = probe(ctx, db, op, p, last, false); err != nil {
			return nil, err
		}
	} else {
		if more {
			res.Next = last
		}
		if cur != nil { // the first page has nothing before it
			if res.Prev, err = probe(ctx, db, op, p, first, true); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

func checkQuery(q *store.Query) error {
	switch {
	case q == nil:
		return errors.New("sqlite: search: nil query")
	case q.Count < 0:
		return fmt.Errorf("sqlite: search %s: negative count %d", q.Type, q.Count)
	case q.After != nil && q.Before != nil:
		return fmt.Errorf("sqlite: search %s: both After and Before", q.Type)
	}
	return nil
}

// hit is one row of a page: the resource, its row and its sort values.
type hit struct {
	res    store.Resource
	row    int64
	values []any
}

func (h hit) cursor() *store.Cursor { return &store.Cursor{Values: h.values, ID: h.res.ID, Row: h.row} }

func fetchPage(ctx context.Context, db queryer, op string, p *plan, cur *store.Cursor, back bool, limit int) ([]hit, error) {
	text, args, err := p.pageSQL(cur, back, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	rows, err := db.QueryContext(ctx, text, args...)
	if err != nil {
		return nil, unavailable(op, err)
	}
	defer rows.Close()
	var hits []hit
	for rows.Next() {
		h := hit{values: make([]any, len(p.keys))}
		var updated int64
		dest := []any{&h.row, &h.res.ID, &h.res.VersionID, &updated, &h.res.Body}
		for i := range h.values {
			dest = append(dest, &h.values[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, unavailable(op, err)
		}
		h.res.LastUpdated = fromMillis(updated)
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(op, err)
	}
	return hits, nil
}

// probe returns at when some row lies beyond it (before it when back is
// set), else nil.
func probe(ctx context.Context, db queryer, op string, p *plan, at *store.Cursor, back bool) (*store.Cursor, error) {
	text, args, err := p.probeSQL(at, back)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	var found bool
	if err := db.QueryRowContext(ctx, text, args...).Scan(&found); err != nil {
		return nil, unavailable(op, err)
	}
	if !found {
		return nil, nil
	}
	return at, nil
}
